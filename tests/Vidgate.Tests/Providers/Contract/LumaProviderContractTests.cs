using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Vidgate.Fakes;
using Vidgate.Server.Kernel;
using Vidgate.Server.Providers;
using Vidgate.Server.Providers.Media;

namespace Vidgate.Tests.Providers.Contract;

/// <summary>
/// The vendor contract for <c>luma</c> against <see cref="FakeLuma"/>, with <c>Vidgate:PublicBaseUrl</c> set so that
/// images can go as our own signed links (the URLs are checked here; the end-to-end test has the fake download them).
/// </summary>
public sealed class LumaProviderContractTests() : VendorContract<FakeLuma>("luma", s => s.AddSingleton(Links))
{
    private const string PublicBase = "https://vidgate.example";

    /// <summary>One signer for the class: it holds no state beyond its secret.</summary>
    private static readonly UpstreamImageLinks Links = NewLinks();

    /// <summary>Luma moderates inside the generation (<c>failed</c>, "Contains blacklisted words"), never by refusing a create.</summary>
    private protected override bool Moderates => false;

    /// <summary>Deleting the generation is Luma's only stop.</summary>
    private protected override bool Cancels => true;

    /// <summary>Ray 2 (the default for an unknown name) makes 5 or 9 s: 7 s is as near either, and the shorter is never billed above the ask.</summary>
    private protected override (int Asked, int Snapped) OffGridSeconds => (7, 5);

    private protected override Task<FakeLuma> StartAsync(FakeVendorOptions options) => FakeLuma.StartAsync(options, ct: Ct);

    private protected override int SentSeconds(JsonElement body) => int.Parse(body.GetProperty("duration").GetString()!.TrimEnd('s'), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Keyframe <c>frame0</c> = <c>{"type": "image", "url": our signed link}</c>; no bytes in the body.</summary>
    private protected override void AssertImageSent(JsonElement body, UpstreamImage image)
    {
        var frame = body.GetProperty("keyframes").GetProperty("frame0");
        Assert.Equal("image", frame.GetProperty("type").GetString());
        var url = new Uri(frame.GetProperty("url").GetString()!);
        Assert.StartsWith(PublicBase + "/v1/upstream-images/", url.AbsoluteUri, StringComparison.Ordinal);
        Assert.Equal(0, Links.Read(url.Segments[^1])?.Index);
        Assert.DoesNotContain(Convert.ToBase64String(image.Bytes.Span), body.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_text_job_posts_generations_video_with_string_duration_resolution_and_ratio_and_bearer_auth()
    {
        var job = UpstreamJobs.Job(UpstreamJobs.Task(seconds: 9, width: 1080, height: 1920), ApiKey) with { UpstreamModel = "ray-flash-2" };

        Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(job, Ct));

        var body = Assert.Single(Fake.Submitted);
        Assert.Equal(("ray-flash-2", "9s", "1080p", "9:16", "video"), (body.GetProperty("model").GetString(), body.GetProperty("duration").GetString(), body.GetProperty("resolution").GetString(), body.GetProperty("aspect_ratio").GetString(), body.GetProperty("generation_type").GetString()));
        var request = Assert.Single(Fake.Requests);
        Assert.Equal(("/dream-machine/v1/generations/video", "Bearer " + ApiKey), (request.Path, request.Headers["authorization"]));
    }

    [Fact]
    public async Task Ray_1_6_gets_neither_duration_nor_resolution_and_two_images_are_first_and_last_keyframes()
    {
        Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(), ApiKey) with { UpstreamModel = "ray-1-6" }, Ct));
        var task = UpstreamJobs.Task();
        Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(UpstreamJobs.Job(task, ApiKey, Png, Png) with { UpstreamModel = "ray-2" }, Ct));

        var (legacy, frames) = (Fake.Submitted[0], Fake.Submitted[1].GetProperty("keyframes"));
        Assert.False(legacy.TryGetProperty("duration", out _) || legacy.TryGetProperty("resolution", out _));
        Assert.Equal((task.Id, 0), Links.Read(new Uri(frames.GetProperty("frame0").GetProperty("url").GetString()!).Segments[^1]));
        Assert.Equal((task.Id, 1), Links.Read(new Uri(frames.GetProperty("frame1").GetProperty("url").GetString()!).Segments[^1]));
    }

    [Fact]
    public async Task Without_a_public_base_url_an_image_job_is_refused_naming_the_setting_and_a_text_job_still_goes()
    {
        using var kit = new ContractKit("luma");
        var provider = kit.Create(FakeUrl, ApiKey, TimeSpan.FromSeconds(10));

        var refused = Assert.IsType<UpstreamSubmit.Rejected>(await provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(), ApiKey, Png), Ct));
        Assert.Empty(Fake.Requests);
        Assert.IsType<UpstreamSubmit.Accepted>(await provider.SubmitAsync(Job(), Ct));

        Assert.Equal("public_base_url_required", refused.Code);
        Assert.Contains("Vidgate:PublicBaseUrl", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_prompt_luma_flags_fails_the_generation_as_moderation_blocked()
    {
        var handle = await SubmitAsync(SubmitCase.Moderated);

        Assert.Equal("moderation_blocked", Assert.IsType<UpstreamPoll.Failed>(await Provider.PollAsync(handle, Ct)).Code);
    }

    [Fact]
    public void Image_links_are_refused_when_forged_for_another_image_or_task_and_after_the_hour()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var own = new UpstreamImageLinks(Options.Create(new VidgateOptions { PublicBaseUrl = PublicBase }), clock);
        own.UseSecret(RandomNumberGenerator.GetBytes(32));
        var token = own.For("video_abc", 0).Segments[^1];
        var parts = token.Split('.');

        Assert.Equal(("video_abc", 0), own.Read(token));
        Assert.Null(own.Read(string.Join('.', parts[0], "1", parts[2], parts[3])));
        Assert.Null(own.Read(string.Join('.', "video_abd", parts[1], parts[2], parts[3])));
        Assert.Null(Links.Read(token));
        Assert.Null(own.Read(token + "x"));
        clock.Advance(UpstreamImageLinks.Lifetime + TimeSpan.FromSeconds(1));
        Assert.Null(own.Read(token));
    }

    private static UpstreamImageLinks NewLinks()
    {
        var links = new UpstreamImageLinks(Options.Create(new VidgateOptions { PublicBaseUrl = PublicBase }), TimeProvider.System);
        links.UseSecret(RandomNumberGenerator.GetBytes(32));
        return links;
    }
}
