using System.Net.Http.Json;
using Vidgate.Fakes;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Providers.EndToEnd;

/// <summary><c>ark</c> (Seedance) through the whole server: admin API, submitter (bad key → next key), tracker, finisher (the pre-signed URL byte-exact), real SQLite and ffprobe.</summary>
public sealed class ArkEndToEndTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_seed_curl_body_completes_past_a_revoked_key_and_is_served_as_our_own_mp4()
    {
        await using var fake = await FakeArk.StartAsync(ct: Ct);
        const string revoked = "00000000-revoked-ark-key";
        using var app = UpstreamServer.Start();
        await AddAsync(app, fake.BaseUrl, [revoked, fake.Options.ApiKey]);
        await UpstreamServer.RouteAsync(app, "ark-main");
        using var user = await app.NewUserAsync();

        var id = (await Api.OkJsonAsync(await user.PostJsonAsync("/v1/videos", Api.SeedBody))).GetProperty("id").GetString()!;
        var done = await user.WaitForAsync(id, "completed", TimeSpan.FromSeconds(60));

        Assert.DoesNotContain(fake.BaseUrl.Authority, done.GetProperty("video_url").GetString(), StringComparison.Ordinal);
        var probe = await Ffprobe.ProbeAsync(await user.GetByteArrayAsync($"/v1/videos/{id}/content", Ct), Ct);
        Assert.Equal("h264", probe.CodecName);
        Assert.Contains(fake.Requests, r => r.Method == "POST" && r.Headers.GetValueOrDefault("authorization") == "Bearer " + revoked);
        var body = Assert.Single(fake.Submitted);
        Assert.Equal("doubao-seedance-1-0-pro-250528", body.GetProperty("model").GetString());
        Assert.Equal((8, "720p", "16:9"), (body.GetProperty("duration").GetInt32(), body.GetProperty("resolution").GetString(), body.GetProperty("ratio").GetString()));
        Assert.Contains("city street", body.GetProperty("content")[0].GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_image_request_reaches_ark_as_a_first_frame_data_uri_of_the_stored_png_and_completes()
    {
        await using var fake = await FakeArk.StartAsync(ct: Ct);
        using var app = UpstreamServer.Start();
        await AddAsync(app, fake.BaseUrl, [fake.Options.ApiKey]);
        await UpstreamServer.RouteAsync(app, "ark-main");
        using var user = await app.NewUserAsync();

        var image = await TestImages.DataUriAsync("png", 64, 48);
        var created = await user.CreateAsync(new { model = "grok-imagine-video", prompt = "the picture comes alive", seconds = "6", aspect_ratio = "16:9", resolution = "720P", image });
        await user.WaitForAsync(created.GetProperty("id").GetString()!, "completed", TimeSpan.FromSeconds(60));

        var item = Assert.Single(fake.Submitted).GetProperty("content")[1];
        Assert.Equal(image, item.GetProperty("image_url").GetProperty("url").GetString());
        Assert.Equal("first_frame", item.GetProperty("role").GetString());
    }

    private static async Task AddAsync(VidgateApp app, Uri baseUrl, string[] keys)
    {
        using var admin = app.Admin();
        await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/providers", new
        {
            id = "ark-main",
            type = "ark",
            base_url = baseUrl.ToString(),
            api_keys = keys,
            request_timeout_seconds = 10,
            model_map = new Dictionary<string, string> { ["grok-imagine-video"] = "doubao-seedance-1-0-pro-250528" },
        }, Ct));
    }
}
