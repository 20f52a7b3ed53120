using System.Text.Json;
using Vidgate.Fakes;
using Vidgate.Server.Providers;

namespace Vidgate.Tests.Providers.Contract;

/// <summary>The vendor contract for <c>runway</c> against <see cref="FakeRunway"/>.</summary>
public sealed class RunwayProviderContractTests() : VendorContract<FakeRunway>("runway")
{
    /// <summary>Runway moderates inside the task (<c>FAILED</c> with <c>SAFETY.INPUT.*</c>), never by refusing a create.</summary>
    private protected override bool Moderates => false;

    /// <summary>Running tasks carry <c>progress</c>.</summary>
    private protected override bool ReportsProgress => true;

    /// <summary><c>DELETE /v1/tasks/{id}</c> cancels a running task.</summary>
    private protected override bool Cancels => true;

    /// <summary>gen4.5 (the default for an unknown name) makes 2–10 s: 12 s snaps to 10.</summary>
    private protected override (int Asked, int Snapped) OffGridSeconds => (12, 10);

    private protected override Task<FakeRunway> StartAsync(FakeVendorOptions options) => FakeRunway.StartAsync(options, ct: Ct);

    private protected override void ReportProgressAbove99() => Fake.FullProgress = true;

    private protected override int SentSeconds(JsonElement body) => body.GetProperty("duration").GetInt32();

    /// <summary>A data URI as <c>promptImage</c> on <c>image_to_video</c>, with a ratio (which that endpoint requires).</summary>
    private protected override void AssertImageSent(JsonElement body, UpstreamImage image)
    {
        Assert.Equal(image.DataUri, body.GetProperty("promptImage").GetString());
        Assert.Equal("1280:720", body.GetProperty("ratio").GetString());
        Assert.Contains(Fake.Requests, r => r.Method == "POST" && r.Path == "/v1/image_to_video");
    }

    [Fact]
    public async Task Every_call_carries_the_bearer_key_and_the_api_version_and_cancel_is_a_delete()
    {
        var handle = await SubmitAsync(SubmitCase.Accepted);
        Clock.Advance(JobLength / 2);
        Assert.IsType<UpstreamPoll.Running>(await Provider.PollAsync(handle, Ct));
        await Provider.CancelAsync(handle, Ct);

        Assert.Equal(["POST /v1/text_to_video", "GET /v1/tasks/" + handle.UpstreamId, "DELETE /v1/tasks/" + handle.UpstreamId], Fake.Requests.Select(r => r.Method + " " + r.Path));
        Assert.All(Fake.Requests, r => Assert.Equal(("Bearer " + ApiKey, FakeRunway.Version), (r.Headers["authorization"], r.Headers["x-runway-version"])));
        Assert.Equal("upstream_cancelled", Assert.IsType<UpstreamPoll.Failed>(await Provider.PollAsync(handle, Ct)).Code);
    }

    [Fact]
    public async Task A_prompt_runway_flags_fails_the_task_as_moderation_blocked_on_the_next_poll()
    {
        var handle = await SubmitAsync(SubmitCase.Moderated);

        var failed = Assert.IsType<UpstreamPoll.Failed>(await Provider.PollAsync(handle, Ct));

        Assert.Equal("moderation_blocked", failed.Code);
        Assert.Contains("SAFETY.INPUT.TEXT", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sizes_snap_to_the_models_pixel_ratios_and_veo3_1_makes_1080p_where_gen4_5_makes_720p()
    {
        var portrait = UpstreamJobs.Job(UpstreamJobs.Task(seconds: 5, width: 1080, height: 1920), ApiKey) with { UpstreamModel = "veo3.1_fast" };
        var square = UpstreamJobs.Job(UpstreamJobs.Task(seconds: 5, width: 720, height: 720), ApiKey, Png) with { UpstreamModel = "gen4.5" };
        var wide = UpstreamJobs.Job(UpstreamJobs.Task(seconds: 5, width: 1920, height: 1080), ApiKey) with { UpstreamModel = "gen4.5" };

        foreach (var job in new[] { portrait, square, wide })
        {
            Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(job, Ct));
        }

        Assert.Equal([("1080:1920", 4), ("960:960", 5), ("1280:720", 5)], Fake.Submitted.Select(b => (b.GetProperty("ratio").GetString(), b.GetProperty("duration").GetInt32())));
    }

    [Fact]
    public async Task Under_fit_strict_a_size_the_model_does_not_make_is_refused_naming_the_sizes_it_does()
    {
        using var kit = new ContractKit("runway");
        var strict = kit.Create(FakeUrl, ApiKey, TimeSpan.FromSeconds(10), """{"fit":"strict"}""");

        var refused = Assert.IsType<UpstreamSubmit.Rejected>(await strict.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(seconds: 5, width: 720, height: 720), ApiKey, Png) with { UpstreamModel = "gen4.5" }, Ct));

        Assert.Equal("unsupported_value", refused.Code);
        Assert.Contains("960x960", refused.Message, StringComparison.Ordinal);
        Assert.Empty(Fake.Requests);
    }

    [Fact]
    public async Task A_first_and_last_frame_go_as_positioned_uris_where_the_model_takes_them_and_are_refused_where_it_does_not()
    {
        var last = Png with { MediaType = "image/webp" };
        Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(seconds: 6), ApiKey, Png, last) with { UpstreamModel = "veo3.1" }, Ct));
        var refused = Assert.IsType<UpstreamSubmit.Rejected>(await Provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(), ApiKey, Png, last) with { UpstreamModel = "gen4.5" }, Ct));
        var textOnImageModel = Assert.IsType<UpstreamSubmit.Rejected>(await Provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(), ApiKey) with { UpstreamModel = "gen4_turbo" }, Ct));

        var frames = Assert.Single(Fake.Submitted).GetProperty("promptImage").EnumerateArray().Select(f => (f.GetProperty("uri").GetString(), f.GetProperty("position").GetString()));
        Assert.Equal([(Png.DataUri, "first"), (last.DataUri, "last")], frames);
        Assert.Equal(("unsupported_value", "unsupported_value"), (refused.Code, textOnImageModel.Code));
        Assert.Contains("image only", textOnImageModel.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_credits_left_is_the_keys_fault_so_the_next_key_is_tried()
    {
        Fake.OutOfCredit = true;

        Assert.True(Assert.IsType<UpstreamSubmit.Unavailable>(await Provider.SubmitAsync(Job(), Ct)).KeyRefused);
    }

    [Fact]
    public async Task A_finished_task_cancelled_late_is_deleted_upstream_and_then_polls_not_found()
    {
        var handle = await SubmitAsync(SubmitCase.Accepted);
        Clock.Advance(JobLength * 2);
        Assert.IsType<UpstreamPoll.Done>(await Provider.PollAsync(handle, Ct));

        await Provider.CancelAsync(handle, Ct);

        Assert.Equal("upstream_not_found", Assert.IsType<UpstreamPoll.Failed>(await Provider.PollAsync(handle, Ct)).Code);
    }
}
