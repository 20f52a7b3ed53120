using System.Net;
using System.Text.Json;
using Vidgate.Fakes;
using Vidgate.Server.Providers;

namespace Vidgate.Tests.Providers.Contract;

/// <summary>The vendor contract for <c>minimax</c> against <see cref="FakeMinimax"/> (errors in <c>base_resp</c>, mostly with HTTP 200).</summary>
public sealed class MinimaxProviderContractTests() : VendorContract<FakeMinimax>("minimax")
{
    /// <summary>Hailuo makes 6 or 10 s: 7 s is nearer 6.</summary>
    private protected override (int Asked, int Snapped) OffGridSeconds => (7, 6);

    private protected override Task<FakeMinimax> StartAsync(FakeVendorOptions options) => FakeMinimax.StartAsync(options, ct: Ct);

    private protected override int SentSeconds(JsonElement body) => body.GetProperty("duration").GetInt32();

    /// <summary>A data URL in <c>first_frame_image</c>; no ratio (v1 has none).</summary>
    private protected override void AssertImageSent(JsonElement body, UpstreamImage image)
    {
        Assert.Equal(image.DataUri, body.GetProperty("first_frame_image").GetString());
        Assert.False(body.TryGetProperty("aspect_ratio", out _));
    }

    [Fact]
    public async Task The_result_is_found_through_the_file_retrieve_call_with_the_key_and_downloaded_from_the_cdn()
    {
        var accepted = Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(Job(), Ct));
        Clock.Advance(JobLength * 2);
        var handle = new UpstreamHandle("up-test", accepted.UpstreamId, 0, ApiKey, accepted.State);
        var done = Assert.IsType<UpstreamPoll.Done>(await Provider.PollAsync(handle, Ct));

        using var response = await Provider.OpenResultAsync(handle, done, Ct);

        Assert.Equal(FakeMedia.SmallMp4, await response.Content.ReadAsByteArrayAsync(Ct));
        var calls = Fake.Requests.Select(r => (r.Method, r.Path.Split('?')[0])).ToList();
        Assert.Equal([("POST", "/v1/video_generation"), ("GET", "/v1/query/video_generation"), ("GET", "/v1/files/retrieve")], calls);
        Assert.All(Fake.Requests, r => Assert.Equal("Bearer " + ApiKey, r.Headers["authorization"]));
        Assert.Equal(1, Fake.Downloads);
        Assert.Contains(Fake.Requests, r => r.Path == "/v1/query/video_generation?task_id=" + accepted.UpstreamId);
    }

    [Fact]
    public async Task A_file_minimax_no_longer_has_opens_as_a_404_not_an_exception()
    {
        var accepted = Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(Job(), Ct));
        var handle = new UpstreamHandle("up-test", accepted.UpstreamId, 0, ApiKey, accepted.State);
        var done = new UpstreamPoll.Done(6, new Uri(FakeUrl, "/v1/files/retrieve?file_id=1").AbsoluteUri);

        using var response = await Provider.OpenResultAsync(handle, done, Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task A_result_url_off_the_instances_origin_is_refused_rather_than_sent_the_key()
    {
        var handle = new UpstreamHandle("up-test", "1", 0, ApiKey, "6");

        await Assert.ThrowsAsync<FetchRefusedException>(() => Provider.OpenResultAsync(handle, new UpstreamPoll.Done(6, "https://attacker.example/v1/files/retrieve?file_id=1"), Ct));

        Assert.Empty(Fake.Requests);
    }

    [Fact]
    public async Task Ten_seconds_at_1080p_keeps_the_length_at_768p_and_strict_refuses_naming_the_rule()
    {
        var task = UpstreamJobs.Task(seconds: 10, width: 1920, height: 1080);
        var job = UpstreamJobs.Job(task, ApiKey) with { UpstreamModel = "MiniMax-Hailuo-2.3" };
        using var kit = new ContractKit("minimax");

        Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(job, Ct));
        var refused = Assert.IsType<UpstreamSubmit.Rejected>(await kit.Create(FakeUrl, ApiKey, TimeSpan.FromSeconds(10), """{"fit":"strict"}""").SubmitAsync(job, Ct));

        var body = Assert.Single(Fake.Submitted);
        Assert.Equal("MiniMax-Hailuo-2.3", body.GetProperty("model").GetString());
        Assert.Equal(10, body.GetProperty("duration").GetInt32());
        Assert.Equal("768P", body.GetProperty("resolution").GetString());
        Assert.Equal("unsupported_value", refused.Code);
        Assert.Contains("6 seconds", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_01_family_is_made_at_6_seconds_720p_and_a_second_image_becomes_the_last_frame()
    {
        var job = UpstreamJobs.Job(UpstreamJobs.Task(seconds: 10), ApiKey, Png, Png) with { UpstreamModel = "I2V-01" };

        Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(job, Ct));

        var body = Assert.Single(Fake.Submitted);
        Assert.Equal(6, body.GetProperty("duration").GetInt32());
        Assert.Equal("720P", body.GetProperty("resolution").GetString());
        Assert.Equal(Png.DataUri, body.GetProperty("last_frame_image").GetString());
    }

    [Fact]
    public async Task A_rate_limit_in_base_resp_with_http_200_is_unavailable_and_an_unknown_task_is_not_found()
    {
        Fake.FailNextSubmits(VendorFault.RateLimitedBare);
        var throttled = Assert.IsType<UpstreamSubmit.Unavailable>(await Provider.SubmitAsync(Job(), Ct));

        var unknown = Assert.IsType<UpstreamPoll.Failed>(await Provider.PollAsync(UpstreamJobs.Handle("1", ApiKey), Ct));

        Assert.False(throttled.KeyRefused);
        Assert.Equal("upstream_not_found", unknown.Code);
    }

    [Fact]
    public async Task Three_images_are_refused_before_anything_is_sent()
    {
        var refused = Assert.IsType<UpstreamSubmit.Rejected>(await Provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(), ApiKey, Png, Png, Png), Ct));

        Assert.Equal("unsupported_value", refused.Code);
        Assert.Empty(Fake.Requests);
    }
}
