using System.Net.Http.Json;
using Vidgate.Fakes;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Providers.EndToEnd;

/// <summary><c>minimax</c> through the whole server: admin API, submitter (bad key → next key), tracker, the file retrieve at the finisher, real SQLite and ffprobe.</summary>
public sealed class MinimaxEndToEndTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_seed_curl_body_completes_past_a_revoked_key_through_the_file_retrieve_and_is_served_as_our_own_mp4()
    {
        await using var fake = await FakeMinimax.StartAsync(ct: Ct);
        const string revoked = "eyJrevoked-minimax-key";
        using var app = UpstreamServer.Start();
        await AddAsync(app, fake.BaseUrl, [revoked, fake.Options.ApiKey]);
        await UpstreamServer.RouteAsync(app, "minimax-main");
        using var user = await app.NewUserAsync();

        var id = (await Api.OkJsonAsync(await user.PostJsonAsync("/v1/videos", Api.SeedBody))).GetProperty("id").GetString()!;
        var done = await user.WaitForAsync(id, "completed", TimeSpan.FromSeconds(60));

        Assert.DoesNotContain(fake.BaseUrl.Authority, done.GetProperty("video_url").GetString(), StringComparison.Ordinal);
        var probe = await Ffprobe.ProbeAsync(await user.GetByteArrayAsync($"/v1/videos/{id}/content", Ct), Ct);
        Assert.Equal("h264", probe.CodecName);
        Assert.Contains(fake.Requests, r => r.Method == "POST" && r.Headers.GetValueOrDefault("authorization") == "Bearer " + revoked);
        var body = Assert.Single(fake.Submitted);
        Assert.Equal("MiniMax-Hailuo-2.3", body.GetProperty("model").GetString());
        Assert.Contains("city street", body.GetProperty("prompt").GetString(), StringComparison.Ordinal);
        Assert.Contains(fake.Requests, r => r.Path.StartsWith("/v1/files/retrieve?file_id=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_image_request_reaches_minimax_as_a_data_url_of_the_stored_png_and_completes()
    {
        await using var fake = await FakeMinimax.StartAsync(ct: Ct);
        using var app = UpstreamServer.Start();
        await AddAsync(app, fake.BaseUrl, [fake.Options.ApiKey]);
        await UpstreamServer.RouteAsync(app, "minimax-main");
        using var user = await app.NewUserAsync();

        var image = await TestImages.DataUriAsync("png", 64, 48);
        var created = await user.CreateAsync(new { model = "grok-imagine-video", prompt = "the picture comes alive", seconds = "6", aspect_ratio = "16:9", resolution = "720P", image });
        await user.WaitForAsync(created.GetProperty("id").GetString()!, "completed", TimeSpan.FromSeconds(60));

        Assert.Equal(image, Assert.Single(fake.Submitted).GetProperty("first_frame_image").GetString());
    }

    private static async Task AddAsync(VidgateApp app, Uri baseUrl, string[] keys)
    {
        using var admin = app.Admin();
        await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/providers", new
        {
            id = "minimax-main",
            type = "minimax",
            base_url = baseUrl.ToString(),
            api_keys = keys,
            request_timeout_seconds = 10,
            model_map = new Dictionary<string, string> { ["grok-imagine-video"] = "MiniMax-Hailuo-2.3" },
        }, Ct));
    }
}
