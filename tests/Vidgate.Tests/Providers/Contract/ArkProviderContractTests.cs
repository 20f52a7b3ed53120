using System.Text.Json;
using Vidgate.Fakes;
using Vidgate.Server.Providers;

namespace Vidgate.Tests.Providers.Contract;

/// <summary>The vendor contract for <c>ark</c> (Seedance) against <see cref="FakeArk"/>.</summary>
public sealed class ArkProviderContractTests() : VendorContract<FakeArk>("ark")
{
    /// <summary><c>DELETE …/tasks/{id}</c> (honoured for queued tasks).</summary>
    private protected override bool Cancels => true;

    /// <summary>Seedance makes 2–12 s: 20 s is made as 12.</summary>
    private protected override (int Asked, int Snapped) OffGridSeconds => (20, 12);

    private protected override Task<FakeArk> StartAsync(FakeVendorOptions options) => FakeArk.StartAsync(options, ct: Ct);

    private protected override int SentSeconds(JsonElement body) => body.GetProperty("duration").GetInt32();

    /// <summary>A data URI with a lower-case format as the <c>first_frame</c>; the ratio <c>adaptive</c> follows it.</summary>
    private protected override void AssertImageSent(JsonElement body, UpstreamImage image)
    {
        var item = body.GetProperty("content")[1];
        Assert.Equal("image_url", item.GetProperty("type").GetString());
        Assert.Equal(image.DataUri, item.GetProperty("image_url").GetProperty("url").GetString());
        Assert.Equal("first_frame", item.GetProperty("role").GetString());
        Assert.Equal("adaptive", body.GetProperty("ratio").GetString());
    }

    [Fact]
    public async Task A_text_job_posts_the_prompt_as_content_with_top_level_resolution_ratio_and_duration_and_the_bearer_key()
    {
        var accepted = Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(width: 720, height: 1280) with { AspectRatio = "9:16" }, ApiKey), Ct));

        var body = Assert.Single(Fake.Submitted);
        var text = Assert.Single(body.GetProperty("content").EnumerateArray());
        Assert.Equal("text", text.GetProperty("type").GetString());
        Assert.Equal("720p", body.GetProperty("resolution").GetString());
        Assert.Equal("9:16", body.GetProperty("ratio").GetString());
        Assert.Equal(6, body.GetProperty("duration").GetInt32());
        Assert.StartsWith("cgt-", accepted.UpstreamId, StringComparison.Ordinal);
        var request = Assert.Single(Fake.Requests);
        Assert.Equal(("POST", "/api/v3/contents/generations/tasks", "Bearer " + ApiKey), (request.Method, request.Path, request.Headers["authorization"]));
    }

    [Fact]
    public async Task Two_images_are_first_and_last_frame_and_three_are_reference_images_at_the_asked_ratio()
    {
        Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(), ApiKey, Png, Png), Ct));
        Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(), ApiKey, Png, Png, Png), Ct));

        var (pair, three) = (Fake.Submitted[0], Fake.Submitted[1]);
        Assert.Equal(["first_frame", "last_frame"], pair.GetProperty("content").EnumerateArray().Skip(1).Select(i => i.GetProperty("role").GetString()));
        Assert.All(three.GetProperty("content").EnumerateArray().Skip(1), i => Assert.Equal("reference_image", i.GetProperty("role").GetString()));
        Assert.Equal("16:9", three.GetProperty("ratio").GetString());
    }

    [Fact]
    public async Task Options_parameters_ride_at_the_top_level_and_seedance_1_5_pro_is_made_at_4_seconds_at_least()
    {
        using var kit = new ContractKit("ark");
        var ark = kit.Create(FakeUrl, ApiKey, TimeSpan.FromSeconds(10), """{"parameters":{"seed":11,"watermark":false,"camera_fixed":true}}""");
        var job = UpstreamJobs.Job(UpstreamJobs.Task(seconds: 2), ApiKey) with { UpstreamModel = "doubao-seedance-1-5-pro-251215" };

        Assert.IsType<UpstreamSubmit.Accepted>(await ark.SubmitAsync(job, Ct));

        var body = Assert.Single(Fake.Submitted);
        Assert.Equal(4, body.GetProperty("duration").GetInt32());
        Assert.Equal(11, body.GetProperty("seed").GetInt32());
        Assert.True(body.GetProperty("camera_fixed").GetBoolean());
        Assert.Contains("content", Assert.IsType<string>(kit.Type.Validate(UpstreamJobs.Settings("ark", FakeUrl, ApiKey, """{"parameters":{"content":[]}}"""))), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_queued_task_is_cancelled_by_delete_and_polls_failed_while_a_running_one_runs_on()
    {
        var queued = await SubmitAsync(SubmitCase.Accepted);
        await Provider.CancelAsync(queued, Ct);
        var running = await SubmitAsync(SubmitCase.Accepted);
        Clock.Advance(JobLength / 2);
        await Provider.CancelAsync(running, Ct);

        Assert.Equal("upstream_failed", Assert.IsType<UpstreamPoll.Failed>(await Provider.PollAsync(queued, Ct)).Code);
        Assert.IsType<UpstreamPoll.Running>(await Provider.PollAsync(running, Ct));
        Assert.Contains(Fake.Requests, r => r.Method == "DELETE" && r.Path == "/api/v3/contents/generations/tasks/" + queued.UpstreamId);
    }

    [Fact]
    public async Task The_pre_signed_result_url_is_kept_byte_exact_and_the_delivered_duration_is_billed()
    {
        var accepted = Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(seconds: 9), ApiKey), Ct));
        Clock.Advance(JobLength * 2);
        var handle = new UpstreamHandle("up-test", accepted.UpstreamId, 0, ApiKey, accepted.State);

        var done = Assert.IsType<UpstreamPoll.Done>(await Provider.PollAsync(handle, Ct));
        using var response = await Provider.OpenResultAsync(handle, done, Ct);

        Assert.EndsWith("?" + FakeArk.Signature, done.ResultUrl, StringComparison.Ordinal);
        Assert.Equal(9, done.ActualSeconds);
        Assert.Equal(FakeMedia.SmallMp4, await response.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task Ten_reference_images_are_refused_before_anything_is_sent()
    {
        var images = Enumerable.Repeat(Png, 10).ToArray();

        var refused = Assert.IsType<UpstreamSubmit.Rejected>(await Provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(), ApiKey, images), Ct));

        Assert.Equal("unsupported_value", refused.Code);
        Assert.Empty(Fake.Requests);
    }

    [Fact]
    public async Task With_a_price_per_million_tokens_the_tokens_ark_reports_are_recorded_as_the_upstream_cost()
    {
        using var kit = new ContractKit("ark");
        var priced = kit.Create(FakeUrl, ApiKey, TimeSpan.FromSeconds(10), """{"usd_per_million_tokens":6.5}""");
        var accepted = Assert.IsType<UpstreamSubmit.Accepted>(await priced.SubmitAsync(Job(), Ct));
        var unpriced = Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(Job(), Ct));
        Clock.Advance(JobLength * 2);

        var done = Assert.IsType<UpstreamPoll.Done>(await priced.PollAsync(new UpstreamHandle("up-test", accepted.UpstreamId, 0, ApiKey, accepted.State), Ct));
        var free = Assert.IsType<UpstreamPoll.Done>(await Provider.PollAsync(new UpstreamHandle("up-test", unpriced.UpstreamId, 0, ApiKey, unpriced.State), Ct));

        // The fake bills 21,600 tokens a second: 6 s is 129,600 tokens, at 6.5 USD a million 0.8424 USD.
        Assert.Equal(8_424_000_000, done.CostUsdTicks);
        Assert.Null(free.CostUsdTicks);
        Assert.Contains("usd_per_million_tokens", kit.Type.Validate(UpstreamJobs.Settings("ark", FakeUrl, ApiKey, """{"usd_per_million_tokens":-1}""")), StringComparison.Ordinal);
    }
}
