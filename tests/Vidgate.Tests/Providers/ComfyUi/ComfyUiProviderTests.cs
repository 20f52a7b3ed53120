using System.Net;
using Microsoft.Extensions.Time.Testing;
using Vidgate.Fakes;
using Vidgate.Server.Providers;
using Vidgate.Server.Providers.ComfyUi;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Providers.ComfyUi;

/// <summary>The comfyui provider against the fake ComfyUI, on a clock shared by both.</summary>
public sealed class ComfyUiProviderTests : ComfyUiFakeTests
{
    private static readonly string Wan = ComfyUiTestKit.SampleOptions("wan2.1-t2v-api.json", "\"fps\":16,\"frame_step\":4,\"negative_prompt\":\"blurry, static\"");
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<UpstreamHandle> SubmitAsync(IVideoProvider provider, params UpstreamImage[] images)
    {
        var result = await provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(), "", images), Ct);
        return UpstreamJobs.Handle(Assert.IsType<UpstreamSubmit.Accepted>(result).UpstreamId, "");
    }

    [Fact]
    public async Task Submit_fills_the_workflow_and_queues_it_under_the_instance_client_id()
    {
        var task = UpstreamJobs.Task("a \"tiny\" boat {{seed}}", seconds: 6);

        var accepted = Assert.IsType<UpstreamSubmit.Accepted>(await Kit.Create(Fake, Wan).SubmitAsync(UpstreamJobs.Job(task, ""), Ct));

        var prompt = Fake.Submitted[accepted.UpstreamId];
        Assert.Equal(task.Prompt, prompt["6"]!["inputs"]!["text"]!.GetValue<string>());
        Assert.Equal("blurry, static", prompt["7"]!["inputs"]!["text"]!.GetValue<string>());
        Assert.Equal(ComfyUiProvider.Seed(task.Id), prompt["3"]!["inputs"]!["seed"]!.GetValue<long>());
        Assert.Equal(1280, prompt["40"]!["inputs"]!["width"]!.GetValue<int>());
        Assert.Equal(720, prompt["40"]!["inputs"]!["height"]!.GetValue<int>());
        Assert.Equal(97, prompt["40"]!["inputs"]!["length"]!.GetValue<int>());
        Assert.Equal(16, prompt["50"]!["inputs"]!["fps"]!.GetValue<int>());
        Assert.Equal("vidgate-up-test", Assert.Single(Fake.ClientIds));
    }

    [Fact]
    public async Task Reference_images_are_uploaded_and_referenced_by_the_name_comfyui_gave_them()
    {
        var provider = Kit.Create(Fake, ComfyUiTestKit.SampleOptions("wan2.1-i2v-api.json", "\"fps\":16,\"frame_step\":4"));
        var png = await TestImages.BytesAsync("png");
        var task = UpstreamJobs.Task();

        var accepted = Assert.IsType<UpstreamSubmit.Accepted>(await provider.SubmitAsync(UpstreamJobs.Job(task, "", new UpstreamImage(png, "image/png")), Ct));

        var name = $"vidgate-{task.Id}-0.png";
        Assert.Equal(png, Fake.Inputs[name]);
        Assert.Equal(name, Fake.Submitted[accepted.UpstreamId]["52"]!["inputs"]!["image"]!.GetValue<string>());
        Assert.True(Fake.Calls.ToList().IndexOf("POST /upload/image") < Fake.Calls.ToList().IndexOf("POST /prompt"));
    }

    [Fact]
    public async Task The_wrong_number_of_images_is_rejected_before_anything_is_sent()
    {
        var png = new UpstreamImage(await TestImages.BytesAsync("png"), "image/png");
        var t2v = await Kit.Create(Fake, Wan).SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(), "", png), Ct);
        var i2v = await Kit.Create(Fake, ComfyUiTestKit.SampleOptions("wan2.1-i2v-api.json")).SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(), ""), Ct);

        Assert.Equal("unsupported_input", Assert.IsType<UpstreamSubmit.Rejected>(t2v).Code);
        Assert.Contains("exactly 1", Assert.IsType<UpstreamSubmit.Rejected>(i2v).Message, StringComparison.Ordinal);
        Assert.Empty(Fake.Calls);
    }

    [Fact]
    public async Task Node_errors_are_rejected_with_the_node_and_its_complaint()
    {
        const string options = """
            {"workflow":{"1":{"class_type":"CLIPTextEncode","inputs":{"text":"{{prompt}}"}},
                         "2":{"class_type":"KSampler","inputs":{"seed":"random","positive":["1",0]}},
                         "3":{"class_type":"SaveVideo","inputs":{"video":["2",0]}}}}
            """;

        var result = await Kit.Create(Fake, options).SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(), ""), Ct);

        var rejected = Assert.IsType<UpstreamSubmit.Rejected>(result);
        Assert.Equal("upstream_workflow_invalid", rejected.Code);
        Assert.Contains("Prompt outputs failed validation", rejected.Message, StringComparison.Ordinal);
        Assert.Contains("node 2 (KSampler)", rejected.Message, StringComparison.Ordinal);
        Assert.Contains("Failed to convert an input value to a INT value", rejected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_node_type_is_rejected()
    {
        const string options = """{"workflow":{"1":{"class_type":"NotInstalledNode","inputs":{"text":"{{prompt}}"}}}}""";

        var rejected = Assert.IsType<UpstreamSubmit.Rejected>(await Kit.Create(Fake, options).SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(), ""), Ct));

        Assert.Contains("NotInstalledNode does not exist", rejected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_slow_comfyui_times_out_as_unavailable()
    {
        await using var slow = await FakeComfyUi.StartAsync();
        slow.Faults.Latency = TimeSpan.FromSeconds(5);
        using var kit = new ComfyUiTestKit();

        var result = await kit.Create(slow, Wan, TimeSpan.FromMilliseconds(300)).SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(), ""), Ct);

        Assert.Contains("timed out", Assert.IsType<UpstreamSubmit.Unavailable>(result).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Poll_reports_pending_running_and_done_and_the_video_comes_from_view()
    {
        var provider = Kit.Create(Fake, Wan);
        var first = await SubmitAsync(provider);
        var second = await SubmitAsync(provider);

        // Running at step 0: progress unknown until the websocket's first event, then 0.
        Assert.IsType<UpstreamPoll.Running>(await provider.PollAsync(first, Ct), exactMatch: true);
        Assert.True(await provider.PollAsync(first, Ct) is UpstreamPoll.Running { Progress: null or 0 });
        Assert.Equal(new UpstreamPoll.Running(0), await provider.PollAsync(second, Ct));
        Clock.Advance(TimeSpan.FromSeconds(10));
        var done = Assert.IsType<UpstreamPoll.Done>(await provider.PollAsync(first, Ct));
        Assert.True(await provider.PollAsync(second, Ct) is UpstreamPoll.Running { Progress: null or 0 });

        Assert.Equal($"{Fake.BaseUrl.AbsoluteUri.TrimEnd('/')}/view?filename=vidgate_wan_00001_.mp4&subfolder=video&type=output", done.ResultUrl);
        using var response = await provider.OpenResultAsync(first, done, Ct);
        Assert.Equal(FakeMedia.SmallMp4, await response.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task Sampler_progress_of_the_running_prompt_comes_from_the_websocket()
    {
        var provider = Kit.Create(Fake, Wan);
        var handle = await SubmitAsync(provider);
        Clock.Advance(TimeSpan.FromSeconds(5));

        // The first poll connects the socket; the fake then reports step 10 of 20.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        UpstreamPoll poll;
        while ((poll = await provider.PollAsync(handle, Ct)) != new UpstreamPoll.Running(50))
        {
            Assert.True(DateTime.UtcNow < deadline, $"no websocket progress, last poll: {poll}");
            await Task.Delay(50, Ct);
        }

        Clock.Advance(TimeSpan.FromSeconds(5));
        Assert.IsType<UpstreamPoll.Done>(await provider.PollAsync(handle, Ct));
    }

    [Fact]
    public async Task An_execution_error_fails_with_the_node_and_message()
    {
        Fake.Faults.ExecutionError = "CUDA out of memory. Tried to allocate 2.00 GiB";
        var provider = Kit.Create(Fake, Wan);
        var handle = await SubmitAsync(provider);
        Clock.Advance(TimeSpan.FromSeconds(10));

        var failed = Assert.IsType<UpstreamPoll.Failed>(await provider.PollAsync(handle, Ct));

        Assert.Equal("upstream_failed", failed.Code);
        Assert.Equal("ComfyUI failed in KSampler: CUDA out of memory. Tried to allocate 2.00 GiB", failed.Message);
    }

    [Fact]
    public async Task A_restarted_comfyui_that_forgot_the_prompt_fails_it()
    {
        var provider = Kit.Create(Fake, Wan);
        var handle = await SubmitAsync(provider);
        Fake.Restart();

        Assert.Equal("upstream_not_found", Assert.IsType<UpstreamPoll.Failed>(await provider.PollAsync(handle, Ct)).Code);
    }

    [Fact]
    public async Task A_workflow_that_writes_no_video_fails_with_what_it_wrote()
    {
        const string options = """
            {"workflow":{"1":{"class_type":"CLIPTextEncode","inputs":{"text":"{{prompt}}"}},
                         "2":{"class_type":"SaveAnimatedWEBP","inputs":{"images":["1",0],"filename_prefix":"anim"}}}}
            """;
        var provider = Kit.Create(Fake, options);
        var handle = await SubmitAsync(provider);
        Clock.Advance(TimeSpan.FromSeconds(10));

        var failed = Assert.IsType<UpstreamPoll.Failed>(await provider.PollAsync(handle, Ct));

        Assert.Equal("no_video_output", failed.Code);
        Assert.Contains("anim_00001_.webp", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Vhs_gifs_outputs_count_and_output_node_picks_the_node()
    {
        const string options = """
            {"workflow":{"1":{"class_type":"CLIPTextEncode","inputs":{"text":"{{prompt}}"}},
                         "2":{"class_type":"SaveWEBM","inputs":{"images":["1",0],"filename_prefix":"preview"}},
                         "3":{"class_type":"VHS_VideoCombine","inputs":{"images":["1",0],"filename_prefix":"final","frame_rate":"{{fps}}"}}},
             "output_node":"3"}
            """;
        var provider = Kit.Create(Fake, options);
        var handle = await SubmitAsync(provider);
        Clock.Advance(TimeSpan.FromSeconds(10));

        var done = Assert.IsType<UpstreamPoll.Done>(await provider.PollAsync(handle, Ct));

        Assert.Contains("filename=final_00002_.mp4", done.ResultUrl, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancel_deletes_a_pending_prompt_without_interrupting_the_running_one()
    {
        var provider = Kit.Create(Fake, Wan);
        var running = await SubmitAsync(provider);
        var pending = await SubmitAsync(provider);

        await provider.CancelAsync(pending, Ct);

        Assert.Equal(0, Fake.Interrupts);
        Assert.Equal("upstream_not_found", Assert.IsType<UpstreamPoll.Failed>(await provider.PollAsync(pending, Ct)).Code);
        Assert.IsType<UpstreamPoll.Running>(await provider.PollAsync(running, Ct));
    }

    [Fact]
    public async Task Cancel_interrupts_a_running_prompt()
    {
        var provider = Kit.Create(Fake, Wan);
        var running = await SubmitAsync(provider);

        await provider.CancelAsync(running, Ct);

        Assert.Equal(1, Fake.Interrupts);
        Assert.Equal("upstream_cancelled", Assert.IsType<UpstreamPoll.Failed>(await provider.PollAsync(running, Ct)).Code);
    }

    [Fact]
    public async Task A_view_that_is_not_a_video_is_handed_over_for_the_finisher_to_refuse()
    {
        var provider = Kit.Create(Fake, Wan);
        var handle = await SubmitAsync(provider);
        Clock.Advance(TimeSpan.FromSeconds(10));
        var done = Assert.IsType<UpstreamPoll.Done>(await provider.PollAsync(handle, Ct));
        Fake.Faults.ViewNotVideo = true;

        using var response = await provider.OpenResultAsync(handle, done, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
    }
}
