using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Vidgate.Fakes;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Providers;

/// <summary>The kit's vendor types through the whole server: admin API, submitter (bad key → next key), tracker, finisher, real SQLite and ffprobe.</summary>
public sealed class VendorEndToEndTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("veo", "veo-3.1-generate-preview")]
    [InlineData("kling", "kling-v2-6")]
    public async Task The_seed_curl_body_completes_through_the_vendor_past_a_revoked_key_and_is_served_as_our_own_mp4(string type, string model)
    {
        await using FakeVendor fake = type == "veo" ? await FakeVeo.StartAsync(ct: Ct) : await FakeKling.StartAsync(ct: Ct);
        var revoked = type == "veo" ? "AIza-revoked-key-000000000000" : "ak-revoked|sk-revoked";
        using var app = UpstreamServer.Start();
        await AddAsync(app, type, fake.BaseUrl, [revoked, fake.Options.ApiKey], new Dictionary<string, string> { ["grok-imagine-video"] = model });
        await UpstreamServer.RouteAsync(app, type + "-main");
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
            var probe = await Ffprobe.ProbeAsync(await user.GetByteArrayAsync($"/v1/videos/{id}/content", Ct), Ct);
            Assert.Equal("h264", probe.CodecName);
        }

        // The revoked key was offered and refused at least once; every job the vendor took came with the good one.
        Assert.Contains(fake.Requests, r => r.Method == "POST" && Credential(type, r) == revoked.Split('|')[0]);
        Assert.Equal(2, fake.Jobs.Count);
        Assert.All(fake.Submitted, body => Assert.Contains("city street", body.GetRawText(), StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("veo", "veo-3.1-generate-preview")]
    [InlineData("kling", "kling-v2-1")]
    public async Task An_image_request_reaches_the_vendor_as_raw_base64_of_the_stored_png_and_completes(string type, string model)
    {
        await using FakeVendor fake = type == "veo" ? await FakeVeo.StartAsync(ct: Ct) : await FakeKling.StartAsync(ct: Ct);
        using var app = UpstreamServer.Start();
        await AddAsync(app, type, fake.BaseUrl, [fake.Options.ApiKey], new Dictionary<string, string> { ["grok-imagine-video"] = model });
        await UpstreamServer.RouteAsync(app, type + "-main");
        using var user = await app.NewUserAsync();

        var image = await TestImages.DataUriAsync("png", 64, 48);
        var created = await user.CreateAsync(new { model = "grok-imagine-video", prompt = "the picture comes alive", seconds = "6", aspect_ratio = "16:9", resolution = "720P", image });
        await user.WaitForAsync(created.GetProperty("id").GetString()!, "completed", TimeSpan.FromSeconds(60));

        var body = Assert.Single(fake.Submitted);
        var sent = type == "veo"
            ? body.GetProperty("instances")[0].GetProperty("image").GetProperty("bytesBase64Encoded").GetString()!
            : body.GetProperty("image").GetString()!;
        Assert.Equal(image[(image.IndexOf(',', StringComparison.Ordinal) + 1)..], sent);
        if (type == "kling")
        {
            Assert.Contains(fake.Requests, r => r.Method == "POST" && r.Path == "/v1/videos/image2video");
            Assert.False(body.TryGetProperty("aspect_ratio", out _));
        }
    }

    [Fact]
    public async Task The_admin_api_refuses_a_kling_key_without_its_secret_half_and_unknown_options_with_the_reason()
    {
        using var app = UpstreamServer.Start();

        var halfKey = await UpstreamServer.AddProviderAsync(app, "kling-bad", "kling", new Uri("https://api-singapore.klingai.com"), "only-access-key", null);
        var typo = await UpstreamServer.AddProviderAsync(app, "veo-bad", "veo", new Uri("https://generativelanguage.googleapis.com"), "AIza-key", """{"fit":"exact"}""");

        Assert.Contains("secret", (await Api.ErrorAsync(halfKey, System.Net.HttpStatusCode.BadRequest)).GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("fit", (await Api.ErrorAsync(typo, System.Net.HttpStatusCode.BadRequest)).GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    private static async Task AddAsync(VidgateApp app, string type, Uri baseUrl, string[] keys, Dictionary<string, string> modelMap)
    {
        using var admin = app.Admin();
        await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/providers", new
        {
            id = type + "-main",
            type,
            base_url = baseUrl.ToString(),
            api_keys = keys,
            request_timeout_seconds = 10,
            model_map = modelMap,
        }, Ct));
    }

    /// <summary>The credential a request carried: Gemini's header, or the <c>iss</c> of Kling's token.</summary>
    private static string? Credential(string type, FakeVendorRequest request)
    {
        if (type == "veo")
        {
            return request.Headers.GetValueOrDefault("x-goog-api-key");
        }

        var token = request.Headers.GetValueOrDefault("authorization")?.Split(' ').Last().Split('.');
        if (token is not [_, var payload, _])
        {
            return null;
        }

        var padded = payload.Replace('-', '+').Replace('_', '/');
        using var claims = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(padded + new string('=', (4 - padded.Length % 4) % 4))));
        return claims.RootElement.GetProperty("iss").GetString();
    }
}
