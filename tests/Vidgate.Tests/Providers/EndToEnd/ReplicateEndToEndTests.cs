using System.Net.Http.Json;
using Vidgate.Fakes;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Providers.EndToEnd;

/// <summary><c>replicate</c> through the whole server: admin API, submitter (bad token → next token), tracker, finisher (output URL through the guard), real SQLite and ffprobe.</summary>
public sealed class ReplicateEndToEndTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_seed_curl_body_completes_through_replicate_past_a_revoked_token_and_is_served_as_our_own_mp4()
    {
        await using var fake = await FakeReplicate.StartAsync(ct: Ct);
        const string revoked = "r8_revoked0000000000000000000000000000";
        using var app = UpstreamServer.Start();
        await AddAsync(app, fake, [revoked, fake.Options.ApiKey]);
        using var user = await app.NewUserAsync();

        var id = (await Api.OkJsonAsync(await user.PostJsonAsync("/v1/videos", Api.SeedBody))).GetProperty("id").GetString()!;
        var done = await user.WaitForAsync(id, "completed", TimeSpan.FromSeconds(60));

        Assert.DoesNotContain(fake.BaseUrl.Authority, done.GetProperty("video_url").GetString(), StringComparison.Ordinal);
        var probe = await Ffprobe.ProbeAsync(await user.GetByteArrayAsync($"/v1/videos/{id}/content", Ct), Ct);
        Assert.Equal("h264", probe.CodecName);
        Assert.Contains(fake.Requests, r => r.Method == "POST" && r.Headers.GetValueOrDefault("authorization") == "Bearer " + revoked);
        var body = Assert.Single(fake.Submitted);
        Assert.Contains("city street", body.GetProperty("input").GetProperty("prompt").GetString(), StringComparison.Ordinal);
        Assert.Contains(fake.Requests, r => r.Method == "POST" && r.Path == "/v1/models/kwaivgi/kling-v2.1/predictions");
    }

    [Fact]
    public async Task An_image_request_reaches_replicate_as_a_data_url_of_the_stored_png_in_the_models_own_field()
    {
        await using var fake = await FakeReplicate.StartAsync(ct: Ct);
        using var app = UpstreamServer.Start();
        await AddAsync(app, fake, [fake.Options.ApiKey]);
        using var user = await app.NewUserAsync();

        var image = await TestImages.DataUriAsync("png", 64, 48);
        var created = await user.CreateAsync(new { model = "grok-imagine-video", prompt = "the picture comes alive", seconds = "6", aspect_ratio = "16:9", resolution = "720P", image });
        await user.WaitForAsync(created.GetProperty("id").GetString()!, "completed", TimeSpan.FromSeconds(60));

        var input = Assert.Single(fake.Submitted).GetProperty("input");
        Assert.Equal(image, input.GetProperty("start_image").GetString());
        Assert.Equal(5, input.GetProperty("duration").GetInt32());
    }

    private static async Task AddAsync(VidgateApp app, FakeReplicate fake, string[] keys)
    {
        using var admin = app.Admin();
        await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/providers", new
        {
            id = "replicate-main",
            type = "replicate",
            base_url = fake.BaseUrl.ToString(),
            api_keys = keys,
            request_timeout_seconds = 10,
            model_map = new Dictionary<string, string> { ["grok-imagine-video"] = "kwaivgi/kling-v2.1" },
        }, Ct));
        await UpstreamServer.RouteAsync(app, "replicate-main");
    }
}
