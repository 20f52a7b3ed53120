using System.Net.Http.Json;
using System.Text.Json;
using Vidgate.Fakes;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Providers.EndToEnd;

/// <summary><c>dashscope</c> (Wan) through the whole server with the text/image model map: admin API, submitter (bad key → next key), tracker, finisher, real SQLite and ffprobe.</summary>
public sealed class DashScopeEndToEndTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_seed_curl_body_completes_on_the_text_model_past_a_revoked_key_and_is_served_as_our_own_mp4()
    {
        await using var fake = await FakeDashScope.StartAsync(ct: Ct);
        const string revoked = "sk-revoked-dashscope-key";
        using var app = UpstreamServer.Start();
        await AddAsync(app, fake.BaseUrl, [revoked, fake.Options.ApiKey]);
        await UpstreamServer.RouteAsync(app, "dashscope-main");
        using var user = await app.NewUserAsync();

        var id = (await Api.OkJsonAsync(await user.PostJsonAsync("/v1/videos", Api.SeedBody))).GetProperty("id").GetString()!;
        var done = await user.WaitForAsync(id, "completed", TimeSpan.FromSeconds(60));

        Assert.DoesNotContain(fake.BaseUrl.Authority, done.GetProperty("video_url").GetString(), StringComparison.Ordinal);
        var probe = await Ffprobe.ProbeAsync(await user.GetByteArrayAsync($"/v1/videos/{id}/content", Ct), Ct);
        Assert.Equal("h264", probe.CodecName);
        Assert.Contains(fake.Requests, r => r.Method == "POST" && r.Headers.GetValueOrDefault("authorization") == "Bearer " + revoked);
        var body = Assert.Single(fake.Submitted);
        Assert.Equal("wan2.5-t2v-preview", body.GetProperty("model").GetString());
        Assert.Equal("1280*720", body.GetProperty("parameters").GetProperty("size").GetString());
        Assert.Contains("city street", body.GetProperty("input").GetProperty("prompt").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_image_request_goes_to_the_image_model_as_a_data_uri_of_the_stored_png_and_completes()
    {
        await using var fake = await FakeDashScope.StartAsync(ct: Ct);
        using var app = UpstreamServer.Start();
        await AddAsync(app, fake.BaseUrl, [fake.Options.ApiKey]);
        await UpstreamServer.RouteAsync(app, "dashscope-main");
        using var user = await app.NewUserAsync();

        var image = await TestImages.DataUriAsync("png", 64, 48);
        var created = await user.CreateAsync(new { model = "grok-imagine-video", prompt = "the picture comes alive", seconds = "5", aspect_ratio = "16:9", resolution = "720P", image });
        await user.WaitForAsync(created.GetProperty("id").GetString()!, "completed", TimeSpan.FromSeconds(60));

        var body = Assert.Single(fake.Submitted);
        Assert.Equal("wan2.5-i2v-preview", body.GetProperty("model").GetString());
        Assert.Equal(image, body.GetProperty("input").GetProperty("img_url").GetString());
    }

    private static async Task AddAsync(VidgateApp app, Uri baseUrl, string[] keys)
    {
        using var admin = app.Admin();
        using var options = JsonDocument.Parse("""{"model_map":{"grok-imagine-video":{"text":"wan2.5-t2v-preview","image":"wan2.5-i2v-preview"}}}""");
        await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/providers", new
        {
            id = "dashscope-main",
            type = "dashscope",
            base_url = baseUrl.ToString(),
            api_keys = keys,
            request_timeout_seconds = 10,
            options = options.RootElement,
        }, Ct));
    }
}
