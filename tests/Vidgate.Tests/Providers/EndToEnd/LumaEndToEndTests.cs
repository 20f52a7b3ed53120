using System.Net;
using System.Text.Json;
using Vidgate.Fakes;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Providers.EndToEnd;

/// <summary>
/// <c>luma</c> through the whole server; images go as our own signed links, which the fake downloads from the server
/// as Luma would.
/// </summary>
public sealed class LumaEndToEndTests() : VendorEndToEnd<FakeLuma>("luma")
{
    private const string PublicBase = "http://vidgate.test";

    private protected override string Model => "ray-2";

    private protected override string Revoked => "luma-revoked-key";

    private protected override int SeedJobs => 2;

    private protected override Task<FakeLuma> StartAsync() => FakeLuma.StartAsync(ct: Ct);

    private protected override VidgateApp StartApp() => Start(PublicBase);

    private protected override void AssertSeedSent(FakeLuma fake, FakeVendorJob job)
    {
        Assert.Contains("city street", job.Body.GetProperty("prompt").GetString(), StringComparison.Ordinal);
        // Ray 2 makes 5 s or 9 s: the seed's 8 s is nearer 9.
        Assert.Equal((Model, "9s", "720p", "16:9"), (job.Body.GetProperty("model").GetString(), job.Body.GetProperty("duration").GetString(), job.Body.GetProperty("resolution").GetString(), job.Body.GetProperty("aspect_ratio").GetString()));
    }

    /// <summary>Keyframe <c>frame0</c> is our signed link, and no bytes ride in the body (what the link serves is the next test's).</summary>
    private protected override void AssertImageSent(FakeLuma fake, JsonElement body, string image)
    {
        Assert.StartsWith(PublicBase + "/v1/upstream-images/", body.GetProperty("keyframes").GetProperty("frame0").GetProperty("url").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Base64(image), body.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_image_request_reaches_luma_as_our_signed_link_which_serves_the_stored_png_to_the_vendor_and_nothing_to_a_forger()
    {
        await using var fake = await StartAsync();
        using var app = StartApp();
        using var server = app.CreateClient();
        (HttpStatusCode Status, long? Length)? head = null;
        fake.FetchImage = async (url, ct) =>
        {
            // Fetchers check a link with HEAD first (Runway documents it; Luma's is unknown): it must answer as GET does.
            using (var answer = await server.SendAsync(new HttpRequestMessage(HttpMethod.Head, url.PathAndQuery), ct))
            {
                head = (answer.StatusCode, answer.Content.Headers.ContentLength);
            }

            return await server.GetAsync(url.PathAndQuery, ct);
        };
        await AddAsync(app, fake, [fake.Options.ApiKey], image: true);
        using var user = await app.NewUserAsync();

        var image = await ImageRequestAsync(user);

        var (url, bytes, type) = Assert.Single(fake.Fetched);
        Assert.StartsWith(PublicBase + "/v1/upstream-images/", url.AbsoluteUri, StringComparison.Ordinal);
        Assert.Equal(Convert.FromBase64String(Base64(image)), bytes);
        Assert.Equal("image/png", type);
        Assert.Equal(url.AbsoluteUri, Assert.Single(fake.Submitted).GetProperty("keyframes").GetProperty("frame0").GetProperty("url").GetString());

        Assert.Equal((HttpStatusCode.OK, (long?)bytes!.Length), Assert.NotNull(head));

        // The link is the credential: any change to it is a plain 404 in our error shape, with no key asked for; and once
        // the task has ended its images are deleted, so the genuine link is a 404 too (no lasting public mirror).
        using var anonymous = app.Client(null);
        var forged = await anonymous.GetAsync(url.PathAndQuery[..^2] + (url.PathAndQuery.EndsWith("AA", StringComparison.Ordinal) ? "BB" : "AA"), Ct);
        Assert.Equal("not_found", (await Api.ErrorAsync(forged, HttpStatusCode.NotFound)).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync(url.PathAndQuery, Ct)).StatusCode);
    }

    [Fact]
    public async Task Without_a_public_base_url_an_image_request_routed_to_luma_fails_naming_the_setting_and_nothing_reaches_luma()
    {
        await using var fake = await StartAsync();
        using var app = Start(publicBase: null);
        await AddAsync(app, fake, [fake.Options.ApiKey], image: true);
        using var user = await app.NewUserAsync();

        var image = await TestImages.DataUriAsync("png", 64, 48);
        var created = await user.CreateAsync(new { model = PublicModel, prompt = "the picture comes alive", seconds = "6", aspect_ratio = "16:9", resolution = "720P", image });
        var failed = await UpstreamServer.WaitFinishedAsync(user, created.GetProperty("id").GetString()!, TimeSpan.FromSeconds(60));

        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Equal("public_base_url_required", failed.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("Vidgate:PublicBaseUrl", failed.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty(fake.Requests);
    }

    /// <summary>The server as <see cref="UpstreamServer.Start"/> makes it, with or without a public address.</summary>
    private static VidgateApp Start(string? publicBase) => new(settings: new Dictionary<string, string?>
    {
        ["Vidgate:Upstreams:MinPollInterval"] = "00:00:00.200",
        ["Vidgate:Upstreams:MaxPollInterval"] = "00:00:01",
        ["Vidgate:Upstreams:MaxBlindPollInterval"] = "00:00:01",
        ["Vidgate:Upstreams:RetryDelay"] = "00:00:01",
        ["Vidgate:Fetch:Allow:0"] = "127.0.0.0/8",
        ["Vidgate:PublicBaseUrl"] = publicBase,
    });
}
