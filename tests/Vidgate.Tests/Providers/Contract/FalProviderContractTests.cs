using System.Text.Json;
using Vidgate.Fakes;
using Vidgate.Server.Providers;

namespace Vidgate.Tests.Providers.Contract;

/// <summary>The vendor contract for <c>fal</c> against <see cref="FakeFal"/>: Kling v2.1 pro on fal, text and image endpoints.</summary>
public sealed class FalProviderContractTests() : VendorContract<FakeFal>("fal")
{
    private readonly List<ContractKit> _kits = [];

    private const string Text = "fal-ai/kling-video/v2.1/pro/text-to-video";
    private const string Image = "fal-ai/kling-video/v2.1/pro/image-to-video";

    /// <summary>fal's models check content while they run (a 422 <c>content_policy_violation</c> in the result), not at submit.</summary>
    private protected override bool Moderates => false;

    private protected override bool Cancels => true;

    private protected override string? InstanceOptions => "{\"model_map\":{\"grok-imagine-video\":{\"text\":\"" + Text + "\",\"image\":\"" + Image + "\"}}}";

    /// <summary>Kling on fal makes 5 or 10 s: 7 s is nearer 5.</summary>
    private protected override (int Asked, int Snapped) OffGridSeconds => (7, 5);

    private protected override Task<FakeFal> StartAsync(FakeVendorOptions options) => FakeFal.StartAsync(options, ct: Ct);

    private protected override int SentSeconds(JsonElement body) => int.Parse(body.GetProperty("duration").GetString()!, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary><c>image_url</c> as a data URI (fal decodes it), posted to the image-to-video endpoint, without <c>aspect_ratio</c>.</summary>
    private protected override void AssertImageSent(JsonElement body, UpstreamImage image)
    {
        Assert.Equal(image.DataUri, body.GetProperty("image_url").GetString());
        Assert.False(body.TryGetProperty("aspect_ratio", out _));
        Assert.Contains(Fake.Requests, r => r.Method == "POST" && r.Path == "/" + Image);
    }

    [Fact]
    public async Task The_key_goes_as_authorization_key_and_status_and_result_use_only_owner_and_app()
    {
        var accepted = Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(Job(), Ct));
        Clock.Advance(JobLength * 2);
        var handle = new UpstreamHandle("up-test", accepted.UpstreamId, 0, ApiKey, accepted.State);

        var done = Assert.IsType<UpstreamPoll.Done>(await Provider.PollAsync(handle, Ct));

        Assert.All(Fake.Requests, r => Assert.Equal("Key " + ApiKey, r.Headers["authorization"]));
        Assert.Equal(["POST /" + Text, $"GET /fal-ai/kling-video/requests/{accepted.UpstreamId}/status", $"GET /fal-ai/kling-video/requests/{accepted.UpstreamId}"],
            Fake.Requests.Select(r => r.Method + " " + r.Path));
        Assert.EndsWith($"/_cdn/{accepted.UpstreamId}.mp4", done.ResultUrl, StringComparison.Ordinal);
        Assert.Equal(5, done.ActualSeconds);
    }

    [Fact]
    public async Task A_text_job_sends_the_string_duration_and_the_ratio_and_veo_3_gets_its_own_shape()
    {
        var veo = Create("""{"model_map":{"grok-imagine-video":"fal-ai/veo3/fast"}}""");
        Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(seconds: 10, width: 720, height: 1280) with { AspectRatio = "9:16" }, ApiKey), Ct));
        Assert.IsType<UpstreamSubmit.Accepted>(await veo.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(seconds: 7, width: 1920, height: 1080), ApiKey), Ct));

        var (kling, veo3) = (Fake.Submitted[0], Fake.Submitted[1]);
        Assert.Equal("10", kling.GetProperty("duration").GetString());
        Assert.Equal("9:16", kling.GetProperty("aspect_ratio").GetString());
        Assert.False(kling.TryGetProperty("resolution", out _));
        Assert.Equal("6s", veo3.GetProperty("duration").GetString());
        Assert.Equal("1080p", veo3.GetProperty("resolution").GetString());
        Assert.Equal("16:9", veo3.GetProperty("aspect_ratio").GetString());
    }

    [Fact]
    public async Task A_model_the_table_does_not_know_gets_only_the_prompt_and_the_knobs_and_reports_what_was_asked()
    {
        var other = Create("""{"model_map":{"grok-imagine-video":"fal-ai/some-new/video-model"},"parameters":{"seed":7,"negative_prompt":"blur"}}""");

        var accepted = Assert.IsType<UpstreamSubmit.Accepted>(await other.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(seconds: 7), ApiKey), Ct));
        Clock.Advance(JobLength * 2);
        var done = Assert.IsType<UpstreamPoll.Done>(await other.PollAsync(new UpstreamHandle("up-test", accepted.UpstreamId, 0, ApiKey, accepted.State), Ct));

        var body = Assert.Single(Fake.Submitted);
        Assert.Equal(["negative_prompt", "prompt", "seed"], body.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(7, done.ActualSeconds);
        Assert.Contains(Fake.Requests, r => r.Path == $"/fal-ai/some-new/requests/{accepted.UpstreamId}/status");
    }

    [Fact]
    public async Task A_locked_account_out_of_balance_marks_the_key_bad()
    {
        Fake.Locked = true;

        var locked = Assert.IsType<UpstreamSubmit.Unavailable>(await Provider.SubmitAsync(Job(), Ct));

        Assert.True(locked.KeyRefused);
        Assert.Null(locked.RetryAfter);
    }

    [Fact]
    public async Task An_image_to_video_model_without_an_image_is_a_validation_refusal_quoting_fals_words()
    {
        var image = Create("""{"model_map":{"grok-imagine-video":"fal-ai/kling-video/v2.1/pro/image-to-video"}}""");

        var rejected = Assert.IsType<UpstreamSubmit.Rejected>(await image.SubmitAsync(Job(), Ct));

        Assert.Equal("upstream_rejected", rejected.Code);
        Assert.Contains("Field required", rejected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Three_images_are_refused_before_anything_is_sent_and_two_go_as_first_and_tail_frame()
    {
        var three = Assert.IsType<UpstreamSubmit.Rejected>(await Provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(), ApiKey, Png, Png, Png), Ct));
        Assert.Empty(Fake.Requests);

        Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(), ApiKey, Png, Png), Ct));

        Assert.Equal("unsupported_value", three.Code);
        Assert.Equal(Png.DataUri, Assert.Single(Fake.Submitted).GetProperty("tail_image_url").GetString());
    }

    private protected override async Task StopAsync()
    {
        await base.StopAsync();
        _kits.ForEach(k => k.Dispose());
    }

    private IVideoProvider Create(string options)
    {
        var kit = new ContractKit("fal");
        _kits.Add(kit);
        return kit.Create(Fake.BaseUrl, ApiKey, TimeSpan.FromSeconds(10), options);
    }
}
