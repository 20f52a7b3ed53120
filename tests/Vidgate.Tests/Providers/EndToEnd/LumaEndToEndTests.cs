using System.Net;
using System.Net.Http.Json;
using Vidgate.Fakes;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Providers.EndToEnd;

/// <summary>
/// <c>luma</c> through the whole server: admin API, submitter (bad key → next key), tracker, finisher, real SQLite and
/// ffprobe; images go as our own signed links, which the fake downloads from the server as Luma would.
/// </summary>
public sealed class LumaEndToEndTests
{
    private const string PublicBase = "http://vidgate.test";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_seed_curl_body_completes_through_luma_past_a_revoked_key_and_is_served_as_our_own_mp4()
    {
        await using var fake = await FakeLuma.StartAsync(ct: Ct);
        const string revoked = "luma-revoked-key";
        using var app = Start(PublicBase);
        await AddAsync(app, fake, [revoked, fake.Options.ApiKey]);
        using var user = await app.NewUserAsync();

        var ids = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            ids.Add((await Api.OkJsonAsync(await user.PostJsonAsync("/v1/videos", Api.SeedBody))).GetProperty("id").GetString()!);
        }

        foreach (var id in ids)
        {
            var done = await user.WaitForAsync(id, "completed", TimeSpan.FromSeconds(60));
            Assert.DoesNotContain(fake.BaseUrl.Authority, done.GetProperty("video_url").GetString(), StringComparison.Ordinal);
            Assert.Equal("h264", (await Ffprobe.ProbeAsync(await user.GetByteArrayAsync($"/v1/videos/{id}/content", Ct), Ct)).CodecName);
        }

        Assert.Contains(fake.Requests, r => r.Method == "POST" && r.Headers.GetValueOrDefault("authorization") == "Bearer " + revoked);
        Assert.Equal(2, fake.Jobs.Count);
        Assert.All(fake.Submitted, body =>
        {
            Assert.Contains("city street", body.GetProperty("prompt").GetString(), StringComparison.Ordinal);
            // Ray 2 makes 5 s or 9 s: the seed's 8 s is nearer 9.
            Assert.Equal(("ray-2", "9s", "720p", "16:9"), (body.GetProperty("model").GetString(), body.GetProperty("duration").GetString(), body.GetProperty("resolution").GetString(), body.GetProperty("aspect_ratio").GetString()));
        });
    }

    [Fact]
    public async Task An_image_request_reaches_luma_as_our_signed_link_which_serves_the_stored_png_to_the_vendor_and_nothing_to_a_forger()
    {
        await using var fake = await FakeLuma.StartAsync(ct: Ct);
        using var app = Start(PublicBase);
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
        await AddAsync(app, fake, [fake.Options.ApiKey]);
        using var user = await app.NewUserAsync();

        var image = await TestImages.DataUriAsync("png", 64, 48);
        var created = await user.CreateAsync(new { model = "grok-imagine-video", prompt = "the picture comes alive", seconds = "6", aspect_ratio = "16:9", resolution = "720P", image });
        await user.WaitForAsync(created.GetProperty("id").GetString()!, "completed", TimeSpan.FromSeconds(60));

        var (url, bytes, type) = Assert.Single(fake.Fetched);
        Assert.StartsWith(PublicBase + "/v1/upstream-images/", url.AbsoluteUri, StringComparison.Ordinal);
        Assert.Equal(Convert.FromBase64String(image[(image.IndexOf(',', StringComparison.Ordinal) + 1)..]), bytes);
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
        await using var fake = await FakeLuma.StartAsync(ct: Ct);
        using var app = Start(publicBase: null);
        await AddAsync(app, fake, [fake.Options.ApiKey]);
        using var user = await app.NewUserAsync();

        var image = await TestImages.DataUriAsync("png", 64, 48);
        var created = await user.CreateAsync(new { model = "grok-imagine-video", prompt = "the picture comes alive", seconds = "6", aspect_ratio = "16:9", resolution = "720P", image });
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

    private static async Task AddAsync(VidgateApp app, FakeVendor fake, string[] keys)
    {
        using var admin = app.Admin();
        await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/providers", new
        {
            id = "luma-main",
            type = "luma",
            base_url = fake.BaseUrl.ToString(),
            api_keys = keys,
            request_timeout_seconds = 10,
            model_map = new Dictionary<string, string> { ["grok-imagine-video"] = "ray-2" },
        }, Ct));
        await UpstreamServer.RouteAsync(app, "luma-main");
    }
}
