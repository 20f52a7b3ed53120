using System.Text.Json;
using Vidgate.Fakes;
using Vidgate.Server.Providers;

namespace Vidgate.Tests.Providers.Contract;

/// <summary>The vendor contract for <c>vidu</c> against <see cref="FakeVidu"/>.</summary>
public sealed class ViduProviderContractTests() : VendorContract<FakeVidu>("vidu")
{
    /// <summary>Vidu cancels a task that is not yet scheduled: <c>POST /ent/v2/tasks/{id}/cancel</c>.</summary>
    private protected override bool Cancels => true;

    /// <summary>viduq2 (the default for an unknown name) makes 1–10 s: 12 s snaps to 10.</summary>
    private protected override (int Asked, int Snapped) OffGridSeconds => (12, 10);

    private protected override Task<FakeVidu> StartAsync(FakeVendorOptions options) => FakeVidu.StartAsync(options, ct: Ct);

    private protected override int SentSeconds(JsonElement body) => body.GetProperty("duration").GetInt32();

    /// <summary>A data URI with its content type in <c>images</c> on <c>img2video</c> (which has no <c>aspect_ratio</c>).</summary>
    private protected override void AssertImageSent(JsonElement body, UpstreamImage image)
    {
        Assert.Equal(image.DataUri, Assert.Single(body.GetProperty("images").EnumerateArray()).GetString());
        Assert.False(body.TryGetProperty("aspect_ratio", out _));
        Assert.Contains(Fake.Requests, r => r.Method == "POST" && r.Path == "/ent/v2/img2video");
    }

    [Fact]
    public async Task The_key_travels_as_token_not_bearer_and_a_text_job_posts_text2video_with_int_duration_resolution_and_ratio()
    {
        var job = UpstreamJobs.Job(UpstreamJobs.Task(seconds: 8, width: 720, height: 1280), ApiKey) with { UpstreamModel = "viduq3-turbo" };

        var accepted = Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(job, Ct));
        await Provider.PollAsync(new UpstreamHandle("up-test", accepted.UpstreamId, 0, ApiKey, accepted.State), Ct);

        var body = Assert.Single(Fake.Submitted);
        Assert.Equal(("viduq3-turbo", 8, "720p", "9:16"), (body.GetProperty("model").GetString(), body.GetProperty("duration").GetInt32(), body.GetProperty("resolution").GetString(), body.GetProperty("aspect_ratio").GetString()));
        Assert.All(Fake.Requests, r => Assert.Equal("Token " + ApiKey, r.Headers["authorization"]));
        Assert.Contains(Fake.Requests, r => r.Method == "POST" && r.Path == "/ent/v2/text2video");
        Assert.Contains(Fake.Requests, r => r.Method == "GET" && r.Path == $"/ent/v2/tasks/{accepted.UpstreamId}/creations");
    }

    [Fact]
    public async Task Two_images_go_to_start_end2video_as_first_and_last_frame_and_three_are_refused_before_anything_is_sent()
    {
        var last = Png with { MediaType = "image/jpeg" };
        Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(), ApiKey, Png, last), Ct));
        var refused = Assert.IsType<UpstreamSubmit.Rejected>(await Provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(), ApiKey, Png, Png, Png), Ct));

        var images = Assert.Single(Fake.Submitted).GetProperty("images");
        Assert.Equal([Png.DataUri, last.DataUri], images.EnumerateArray().Select(i => i.GetString()));
        Assert.Contains(Fake.Requests, r => r.Path == "/ent/v2/start-end2video");
        Assert.Equal("unsupported_value", refused.Code);
        Assert.Single(Fake.Requests, r => r.Method == "POST");
    }

    [Fact]
    public async Task Vidu_1_5_makes_8_seconds_only_at_720p_so_1080p_snaps_down_and_strict_refuses_it()
    {
        var job = UpstreamJobs.Job(UpstreamJobs.Task(seconds: 8, width: 1920, height: 1080), ApiKey) with { UpstreamModel = "vidu1.5" };
        var strict = new ContractKit("vidu");

        Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(job, Ct));
        var refused = Assert.IsType<UpstreamSubmit.Rejected>(await strict.Create(FakeUrl, ApiKey, TimeSpan.FromSeconds(10), """{"fit":"strict"}""").SubmitAsync(job, Ct));
        strict.Dispose();

        Assert.Equal("720p", Assert.Single(Fake.Submitted).GetProperty("resolution").GetString());
        Assert.Contains("720p", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Credits_out_is_a_400_yet_the_keys_fault_not_a_validation_refusal()
    {
        Fake.OutOfCredit = true;

        var unavailable = Assert.IsType<UpstreamSubmit.Unavailable>(await Provider.SubmitAsync(Job(), Ct));

        Assert.True(unavailable.KeyRefused);
    }

    [Fact]
    public async Task The_jobs_credits_are_recorded_as_upstream_cost_at_the_instances_stated_price_and_not_without_one()
    {
        var priced = new ContractKit("vidu");
        var provider = priced.Create(FakeUrl, ApiKey, TimeSpan.FromSeconds(10), """{"usd_per_credit":0.005}""");
        var withPrice = Assert.IsType<UpstreamSubmit.Accepted>(await provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(seconds: 5), ApiKey), Ct));
        var withoutPrice = Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(seconds: 5), ApiKey), Ct));
        Clock.Advance(JobLength * 2);

        var done = Assert.IsType<UpstreamPoll.Done>(await provider.PollAsync(new UpstreamHandle("up-test", withPrice.UpstreamId, 0, ApiKey, withPrice.State), Ct));
        var unpriced = Assert.IsType<UpstreamPoll.Done>(await Provider.PollAsync(new UpstreamHandle("up-test", withoutPrice.UpstreamId, 0, ApiKey, withoutPrice.State), Ct));
        priced.Dispose();

        // The fake charges two credits a second: 10 credits at $0.005 = $0.05.
        Assert.Equal(500_000_000L, done.CostUsdTicks);
        Assert.Equal(5, done.ActualSeconds);
        Assert.Null(unpriced.CostUsdTicks);
    }

    [Theory]
    [InlineData("""{"usd_per_credit":0}""")]
    [InlineData("""{"usd_per_credit":-0.01}""")]
    [InlineData("""{"usd_per_credit":"0.005"}""")]
    [InlineData("""{"usd_per_credit":1e30}""")]
    public void A_credit_price_that_is_not_a_positive_number_is_refused_naming_the_option(string options)
    {
        using var kit = new ContractKit("vidu");

        Assert.Contains("usd_per_credit", kit.Type.Validate(UpstreamJobs.Settings("vidu", FakeUrl, ApiKey, options)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cancelled_task_polls_failed_and_a_cancel_once_it_is_scheduled_is_refused_quietly_and_the_job_runs_on()
    {
        var early = Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(Job(), Ct));
        var handle = new UpstreamHandle("up-test", early.UpstreamId, 0, ApiKey, early.State);
        await Provider.CancelAsync(handle, Ct);
        Assert.Equal("upstream_cancelled", Assert.IsType<UpstreamPoll.Failed>(await Provider.PollAsync(handle, Ct)).Code);

        var late = Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(Job(), Ct));
        var lateHandle = new UpstreamHandle("up-test", late.UpstreamId, 0, ApiKey, late.State);
        Clock.Advance(JobLength * 0.8);
        await Provider.CancelAsync(lateHandle, Ct);

        Assert.False(Fake.Cancelled.ContainsKey(late.UpstreamId));
        Clock.Advance(JobLength);
        Assert.IsType<UpstreamPoll.Done>(await Provider.PollAsync(lateHandle, Ct));
    }
}
