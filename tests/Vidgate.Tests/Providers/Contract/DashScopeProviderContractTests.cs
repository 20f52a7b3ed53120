using System.Text.Json;
using Vidgate.Fakes;
using Vidgate.Server.Providers;

namespace Vidgate.Tests.Providers.Contract;

/// <summary>The vendor contract for <c>dashscope</c> (Wan) against <see cref="FakeDashScope"/>.</summary>
public sealed class DashScopeProviderContractTests() : VendorContract<FakeDashScope>("dashscope")
{
    /// <summary>The only model mapping the issue names: one model for text, another for images.</summary>
    private const string WanMap = """{"model_map":{"grok-imagine-video":{"text":"wan2.5-t2v-preview","image":"wan2.5-i2v-preview"}}}""";

    /// <summary><c>POST /api/v1/tasks/{id}/cancel</c> (honoured for PENDING tasks).</summary>
    private protected override bool Cancels => true;

    /// <summary>Wan 2.5 (and an unknown name) makes 5 or 10 s: 7 s is nearer 5.</summary>
    private protected override (int Asked, int Snapped) OffGridSeconds => (7, 5);

    private protected override Task<FakeDashScope> StartAsync(FakeVendorOptions options) => FakeDashScope.StartAsync(options, ct: Ct);

    private protected override int SentSeconds(JsonElement body) => body.GetProperty("parameters").GetProperty("duration").GetInt32();

    /// <summary>A data URI in <c>input.img_url</c>; a resolution tier, never a size (the shape follows the image).</summary>
    private protected override void AssertImageSent(JsonElement body, UpstreamImage image)
    {
        Assert.Equal(image.DataUri, body.GetProperty("input").GetProperty("img_url").GetString());
        Assert.Equal("720P", body.GetProperty("parameters").GetProperty("resolution").GetString());
        Assert.False(body.GetProperty("parameters").TryGetProperty("size", out _));
    }

    [Fact]
    public async Task The_create_is_async_with_the_bearer_key_and_the_model_map_picks_the_text_or_the_image_model()
    {
        using var kit = new ContractKit("dashscope");
        var wan = kit.Create(FakeUrl, ApiKey, TimeSpan.FromSeconds(10), WanMap);

        Assert.IsType<UpstreamSubmit.Accepted>(await wan.SubmitAsync(Job(), Ct));
        Assert.IsType<UpstreamSubmit.Accepted>(await wan.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(), ApiKey, Png), Ct));

        var (text, image) = (Fake.Submitted[0], Fake.Submitted[1]);
        Assert.Equal("wan2.5-t2v-preview", text.GetProperty("model").GetString());
        Assert.Equal("1280*720", text.GetProperty("parameters").GetProperty("size").GetString());
        Assert.Equal("a red fox running through snow", text.GetProperty("input").GetProperty("prompt").GetString());
        Assert.Equal("wan2.5-i2v-preview", image.GetProperty("model").GetString());
        Assert.All(Fake.Requests, r => Assert.Equal("enable", r.Headers["x-dashscope-async"]));
        Assert.All(Fake.Requests, r => Assert.Equal("Bearer " + ApiKey, r.Headers["authorization"]));
        Assert.All(Fake.Requests, r => Assert.Equal("/api/v1/services/aigc/video-generation/video-synthesis", r.Path));
    }

    [Fact]
    public async Task Parameters_go_where_wan_reads_them_and_wan_2_6_bills_the_seconds_its_usage_reports()
    {
        using var kit = new ContractKit("dashscope");
        var wan = kit.Create(FakeUrl, ApiKey, TimeSpan.FromSeconds(10), """{"parameters":{"negative_prompt":"blurry","prompt_extend":false,"seed":7}}""");
        var job = UpstreamJobs.Job(UpstreamJobs.Task(seconds: 14, width: 1080, height: 1920), ApiKey) with { UpstreamModel = "wan2.6-t2v" };

        var accepted = Assert.IsType<UpstreamSubmit.Accepted>(await wan.SubmitAsync(job, Ct));
        Clock.Advance(JobLength * 2);
        var done = Assert.IsType<UpstreamPoll.Done>(await wan.PollAsync(new UpstreamHandle("up-test", accepted.UpstreamId, 0, ApiKey, accepted.State), Ct));

        var body = Assert.Single(Fake.Submitted);
        Assert.Equal("blurry", body.GetProperty("input").GetProperty("negative_prompt").GetString());
        Assert.False(body.GetProperty("parameters").GetProperty("prompt_extend").GetBoolean());
        Assert.Equal(7, body.GetProperty("parameters").GetProperty("seed").GetInt32());
        Assert.Equal("1080*1920", body.GetProperty("parameters").GetProperty("size").GetString());
        Assert.Equal(15, body.GetProperty("parameters").GetProperty("duration").GetInt32());
        Assert.Equal(15, done.ActualSeconds);
    }

    [Fact]
    public async Task Under_fit_strict_a_ratio_the_480p_tier_has_no_size_for_is_refused_with_the_tiers_ratios()
    {
        using var kit = new ContractKit("dashscope");
        var strict = kit.Create(FakeUrl, ApiKey, TimeSpan.FromSeconds(10), """{"fit":"strict"}""");
        var task = UpstreamJobs.Task(seconds: 5, width: 640, height: 480) with { AspectRatio = "4:3" };

        var refused = Assert.IsType<UpstreamSubmit.Rejected>(await strict.SubmitAsync(UpstreamJobs.Job(task, ApiKey), Ct));
        var snapped = Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(UpstreamJobs.Job(task, ApiKey), Ct));

        Assert.Equal("unsupported_value", refused.Code);
        Assert.Contains("aspect_ratio 4:3", refused.Message, StringComparison.Ordinal);
        Assert.Contains("16:9, 9:16, 1:1", refused.Message, StringComparison.Ordinal);
        Assert.NotNull(snapped.UpstreamId);
        Assert.Equal("832*480", Assert.Single(Fake.Submitted).GetProperty("parameters").GetProperty("size").GetString());
    }

    [Fact]
    public async Task A_pending_job_cancelled_upstream_polls_failed_and_a_running_one_is_refused_and_runs_on()
    {
        var pending = await SubmitAsync(SubmitCase.Accepted);
        await Provider.CancelAsync(pending, Ct);
        var running = await SubmitAsync(SubmitCase.Accepted);
        Clock.Advance(JobLength / 2);
        await Provider.CancelAsync(running, Ct);

        Assert.Equal("upstream_failed", Assert.IsType<UpstreamPoll.Failed>(await Provider.PollAsync(pending, Ct)).Code);
        Assert.IsType<UpstreamPoll.Running>(await Provider.PollAsync(running, Ct));
        Assert.Contains(Fake.Requests, r => r.Method == "POST" && r.Path == $"/api/v1/tasks/{pending.UpstreamId}/cancel");
    }

    [Fact]
    public async Task An_image_for_a_text_model_or_none_for_an_image_model_is_refused_before_anything_is_sent()
    {
        var toText = UpstreamJobs.Job(UpstreamJobs.Task(), ApiKey, Png) with { UpstreamModel = "wan2.5-t2v-preview" };
        var toImage = UpstreamJobs.Job(UpstreamJobs.Task(), ApiKey) with { UpstreamModel = "wan2.5-i2v-preview" };
        var twoImages = UpstreamJobs.Job(UpstreamJobs.Task(), ApiKey, Png, Png) with { UpstreamModel = "wan2.5-i2v-preview" };

        foreach (var job in new[] { toText, toImage, twoImages })
        {
            Assert.Equal("unsupported_value", Assert.IsType<UpstreamSubmit.Rejected>(await Provider.SubmitAsync(job, Ct)).Code);
        }

        Assert.Empty(Fake.Requests);
    }

    [Fact]
    public async Task A_first_and_last_frame_model_posts_both_frames_to_its_own_endpoint()
    {
        var job = UpstreamJobs.Job(UpstreamJobs.Task(seconds: 5), ApiKey, Png, Png) with { UpstreamModel = "wan2.2-kf2v-flash" };

        Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(job, Ct));

        var input = Assert.Single(Fake.Submitted).GetProperty("input");
        Assert.Equal(Png.DataUri, input.GetProperty("first_frame_url").GetString());
        Assert.Equal(Png.DataUri, input.GetProperty("last_frame_url").GetString());
        Assert.Equal("/api/v1/services/aigc/image2video/video-synthesis", Assert.Single(Fake.Requests).Path);
    }

    [Fact]
    public async Task With_a_price_per_second_the_seconds_dashscope_bills_are_recorded_as_the_upstream_cost()
    {
        using var kit = new ContractKit("dashscope");
        var priced = kit.Create(FakeUrl, ApiKey, TimeSpan.FromSeconds(10), """{"usd_per_second":0.1,"fit":"snap"}""");
        var accepted = Assert.IsType<UpstreamSubmit.Accepted>(await priced.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(seconds: 5), ApiKey), Ct));
        Clock.Advance(JobLength * 2);

        var done = Assert.IsType<UpstreamPoll.Done>(await priced.PollAsync(new UpstreamHandle("up-test", accepted.UpstreamId, 0, ApiKey, accepted.State), Ct));

        Assert.Equal(5, done.ActualSeconds);
        Assert.Equal(5_000_000_000, done.CostUsdTicks);
        Assert.Contains("usd_per_second", kit.Type.Validate(UpstreamJobs.Settings("dashscope", FakeUrl, ApiKey, """{"usd_per_second":"cheap"}""")), StringComparison.Ordinal);
        Assert.Contains("colour", kit.Type.Validate(UpstreamJobs.Settings("dashscope", FakeUrl, ApiKey, """{"usd_per_second":0.1,"colour":"red"}""")), StringComparison.Ordinal);
    }
}
