using System.Text.Json;
using Vidgate.Fakes;
using Vidgate.Server.Providers;

namespace Vidgate.Tests.Providers.Contract;

/// <summary>The vendor contract for <c>replicate</c> against <see cref="FakeReplicate"/>: Kling v2.1 as an official model.</summary>
public sealed class ReplicateProviderContractTests() : VendorContract<FakeReplicate>("replicate")
{
    private const string Model = "kwaivgi/kling-v2.1";
    private static readonly string VersionId = new string('a', 32) + new string('0', 32);
    private readonly List<ContractKit> _kits = [];

    /// <summary>Replicate's models judge content while they run (a <c>failed</c> prediction, E005), not at create.</summary>
    private protected override bool Moderates => false;

    private protected override bool Cancels => true;

    /// <summary>A tqdm bar in the logs is read as progress, as Replicate's SDK reads it.</summary>
    private protected override bool ReportsProgress => true;

    private protected override string? InstanceOptions => $$$"""{"model_map":{"grok-imagine-video":"{{{Model}}}"}}""";

    /// <summary>Kling makes 5 or 10 s: 7 s is nearer 5.</summary>
    private protected override (int Asked, int Snapped) OffGridSeconds => (7, 5);

    private protected override Task<FakeReplicate> StartAsync(FakeVendorOptions options) => FakeReplicate.StartAsync(options, ct: Ct);

    private protected override void ReportProgressAbove99() => Fake.ReportedPercent = 120;

    private protected override int SentSeconds(JsonElement body) => body.GetProperty("input").GetProperty("duration").GetInt32();

    /// <summary>Kling's first frame is <c>input.start_image</c>, a data URL; no <c>aspect_ratio</c> with an image.</summary>
    private protected override void AssertImageSent(JsonElement body, UpstreamImage image)
    {
        Assert.Equal(image.DataUri, body.GetProperty("input").GetProperty("start_image").GetString());
        Assert.False(body.GetProperty("input").TryGetProperty("aspect_ratio", out _));
    }

    [Fact]
    public async Task An_official_model_is_created_at_its_models_path_with_a_bearer_token_and_no_prefer_wait()
    {
        var accepted = Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(seconds: 10), ApiKey), Ct));
        await Provider.PollAsync(new UpstreamHandle("up-test", accepted.UpstreamId, 0, ApiKey, accepted.State), Ct);

        var create = Fake.Requests.First();
        Assert.Equal("POST /v1/models/" + Model + "/predictions", create.Method + " " + create.Path);
        Assert.False(create.Headers.ContainsKey("prefer"));
        Assert.All(Fake.Requests, r => Assert.Equal("Bearer " + ApiKey, r.Headers["authorization"]));
        var input = Assert.Single(Fake.Submitted).GetProperty("input");
        Assert.Equal(10, input.GetProperty("duration").GetInt32());
        Assert.Equal("16:9", input.GetProperty("aspect_ratio").GetString());
        Assert.Contains(Fake.Requests, r => r.Method == "GET" && r.Path == "/v1/predictions/" + accepted.UpstreamId);
    }

    [Fact]
    public async Task A_version_id_is_created_at_v1_predictions_and_an_output_list_is_read()
    {
        var versioned = Create($$$"""{"model_map":{"grok-imagine-video":"someone/video-list:{{{VersionId}}}"},"parameters":{"seed":7}}""");

        var accepted = Assert.IsType<UpstreamSubmit.Accepted>(await versioned.SubmitAsync(Job(), Ct));
        Clock.Advance(JobLength * 2);
        var done = Assert.IsType<UpstreamPoll.Done>(await versioned.PollAsync(new UpstreamHandle("up-test", accepted.UpstreamId, 0, ApiKey, accepted.State), Ct));

        var body = Assert.Single(Fake.Submitted);
        Assert.Equal(VersionId, body.GetProperty("version").GetString());
        Assert.Equal(7, body.GetProperty("input").GetProperty("seed").GetInt32());
        Assert.Equal("/v1/predictions", Fake.Requests.First().Path);
        Assert.EndsWith($"/_delivery/{accepted.UpstreamId}/output.mp4", done.ResultUrl, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_output_removed_after_its_hour_fails_as_expired_and_a_prediction_canceled_elsewhere_fails()
    {
        var old = await SubmitAsync(SubmitCase.Accepted);
        Clock.Advance(TimeSpan.FromHours(2));
        var expired = Assert.IsType<UpstreamPoll.Failed>(await Provider.PollAsync(old, Ct));

        var running = await SubmitAsync(SubmitCase.Accepted);
        Fake.Cancelled[running.UpstreamId] = true;
        var canceled = Assert.IsType<UpstreamPoll.Failed>(await Provider.PollAsync(running, Ct));

        Assert.Equal("upstream_expired", expired.Code);
        Assert.Equal("upstream_failed", canceled.Code);
        Assert.Contains("canceled", canceled.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_model_replicate_does_not_have_is_unavailable_so_the_next_route_is_tried_and_an_empty_prompt_quotes_the_422()
    {
        var retired = await Create("""{"model_map":{"grok-imagine-video":"retired/video-model"}}""").SubmitAsync(Job(), Ct);
        var invalid = await Provider.SubmitAsync(Job(prompt: " "), Ct);

        Assert.False(Assert.IsType<UpstreamSubmit.Unavailable>(retired).KeyRefused);
        Assert.Contains("prompt is required", Assert.IsType<UpstreamSubmit.Rejected>(invalid).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_images_are_refused_before_anything_is_sent()
    {
        var refused = Assert.IsType<UpstreamSubmit.Rejected>(await Provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(), ApiKey, Png, Png), Ct));

        Assert.Equal("unsupported_value", refused.Code);
        Assert.Empty(Fake.Requests);
    }

    private protected override async Task StopAsync()
    {
        await base.StopAsync();
        _kits.ForEach(k => k.Dispose());
    }

    private IVideoProvider Create(string options)
    {
        var kit = new ContractKit("replicate");
        _kits.Add(kit);
        return kit.Create(Fake.BaseUrl, ApiKey, TimeSpan.FromSeconds(10), options);
    }
}
