using System.Net.Http.Json;
using Vidgate.Fakes;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Providers.EndToEnd;

/// <summary><c>fal</c> through the whole server: admin API, submitter (bad key → next key), tracker (status, then result), finisher, real SQLite and ffprobe.</summary>
public sealed class FalEndToEndTests
{
    private const string Text = "fal-ai/kling-video/v2.1/pro/text-to-video";
    private const string Image = "fal-ai/kling-video/v2.1/pro/image-to-video";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_seed_curl_body_completes_through_fal_past_a_revoked_key_and_is_served_as_our_own_mp4()
    {
        await using var fake = await FakeFal.StartAsync(ct: Ct);
        const string revoked = "revoked-id:revoked-secret";
        using var app = UpstreamServer.Start();
        await AddAsync(app, fake, [revoked, fake.Options.ApiKey]);
        using var user = await app.NewUserAsync();

        var id = (await Api.OkJsonAsync(await user.PostJsonAsync("/v1/videos", Api.SeedBody))).GetProperty("id").GetString()!;
        var done = await user.WaitForAsync(id, "completed", TimeSpan.FromSeconds(60));

        Assert.DoesNotContain(fake.BaseUrl.Authority, done.GetProperty("video_url").GetString(), StringComparison.Ordinal);
        var probe = await Ffprobe.ProbeAsync(await user.GetByteArrayAsync($"/v1/videos/{id}/content", Ct), Ct);
        Assert.Equal("h264", probe.CodecName);
        Assert.Contains(fake.Requests, r => r.Method == "POST" && r.Headers.GetValueOrDefault("authorization") == "Key " + revoked);
        var job = Assert.Single(fake.Jobs.Values);
        Assert.Contains("city street", job.Prompt, StringComparison.Ordinal);
        Assert.Contains(fake.Requests, r => r.Method == "POST" && r.Path == "/" + Text);
        Assert.Contains(fake.Requests, r => r.Method == "GET" && r.Path == $"/fal-ai/kling-video/requests/{job.Id}");
    }

    [Fact]
    public async Task An_image_request_reaches_the_image_to_video_endpoint_as_a_data_uri_of_the_stored_png_and_completes()
    {
        await using var fake = await FakeFal.StartAsync(ct: Ct);
        using var app = UpstreamServer.Start();
        await AddAsync(app, fake, [fake.Options.ApiKey]);
        using var user = await app.NewUserAsync();

        var image = await TestImages.DataUriAsync("png", 64, 48);
        var created = await user.CreateAsync(new { model = "grok-imagine-video", prompt = "the picture comes alive", seconds = "6", aspect_ratio = "16:9", resolution = "720P", image });
        var done = await user.WaitForAsync(created.GetProperty("id").GetString()!, "completed", TimeSpan.FromSeconds(60));

        var body = Assert.Single(fake.Submitted);
        Assert.Equal(image, body.GetProperty("image_url").GetString());
        Assert.Equal("5", body.GetProperty("duration").GetString());
        Assert.Contains(fake.Requests, r => r.Method == "POST" && r.Path == "/" + Image);
        Assert.Equal("completed", done.GetProperty("status").GetString());
    }

    private static async Task AddAsync(VidgateApp app, FakeFal fake, string[] keys)
    {
        using var admin = app.Admin();
        await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/providers", new
        {
            id = "fal-main",
            type = "fal",
            base_url = fake.BaseUrl.ToString(),
            api_keys = keys,
            request_timeout_seconds = 10,
            options = new { model_map = new Dictionary<string, object> { ["grok-imagine-video"] = new { text = Text, image = Image } } },
        }, Ct));
        await UpstreamServer.RouteAsync(app, "fal-main");
    }
}
