using System.Net.Http.Json;
using Vidgate.Fakes;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Providers.EndToEnd;

/// <summary><c>vidu</c> through the whole server: admin API, submitter (bad key → next key), tracker, finisher, real SQLite and ffprobe.</summary>
public sealed class ViduEndToEndTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_seed_curl_body_completes_through_vidu_past_a_revoked_key_and_is_served_as_our_own_mp4()
    {
        await using var fake = await FakeVidu.StartAsync(ct: Ct);
        const string revoked = "vda-revoked-key-0000";
        using var app = UpstreamServer.Start();
        await AddAsync(app, fake, [revoked, fake.Options.ApiKey], "viduq2");
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

        Assert.Contains(fake.Requests, r => r.Method == "POST" && r.Headers.GetValueOrDefault("authorization") == "Token " + revoked);
        Assert.Equal(2, fake.Jobs.Count);
        Assert.All(fake.Submitted, body =>
        {
            Assert.Contains("city street", body.GetProperty("prompt").GetString(), StringComparison.Ordinal);
            Assert.Equal((8, "720p", "16:9"), (body.GetProperty("duration").GetInt32(), body.GetProperty("resolution").GetString(), body.GetProperty("aspect_ratio").GetString()));
        });
    }

    [Fact]
    public async Task An_image_request_reaches_vidu_as_a_data_uri_of_the_stored_png_on_img2video_and_completes()
    {
        await using var fake = await FakeVidu.StartAsync(ct: Ct);
        using var app = UpstreamServer.Start();
        await AddAsync(app, fake, [fake.Options.ApiKey], "viduq1");
        using var user = await app.NewUserAsync();

        var image = await TestImages.DataUriAsync("png", 64, 48);
        var created = await user.CreateAsync(new { model = "grok-imagine-video", prompt = "the picture comes alive", seconds = "6", aspect_ratio = "16:9", resolution = "720P", image });
        await user.WaitForAsync(created.GetProperty("id").GetString()!, "completed", TimeSpan.FromSeconds(60));

        var body = Assert.Single(fake.Submitted);
        Assert.Equal(image, Assert.Single(body.GetProperty("images").EnumerateArray()).GetString());
        // viduq1 makes 5 s at 1080p only: the 6 s 720P ask was snapped to what it makes.
        Assert.Equal((5, "1080p"), (body.GetProperty("duration").GetInt32(), body.GetProperty("resolution").GetString()));
        Assert.Contains(fake.Requests, r => r.Method == "POST" && r.Path == "/ent/v2/img2video");
    }

    private static async Task AddAsync(VidgateApp app, FakeVendor fake, string[] keys, string model)
    {
        using var admin = app.Admin();
        await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/providers", new
        {
            id = "vidu-main",
            type = "vidu",
            base_url = fake.BaseUrl.ToString(),
            api_keys = keys,
            request_timeout_seconds = 10,
            model_map = new Dictionary<string, string> { ["grok-imagine-video"] = model },
        }, Ct));
        await UpstreamServer.RouteAsync(app, "vidu-main");
    }
}
