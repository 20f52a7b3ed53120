using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Hosting;

public sealed class HealthTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Readyz_reports_the_store_ffmpeg_and_the_workers()
    {
        using var app = new VidgateApp();
        using var client = app.Client(key: null);
        var ready = await client.GetFromJsonAsync<JsonElement>("/readyz", Ct);
        Assert.Equal("ready", ready.GetProperty("status").GetString());
        var checks = ready.GetProperty("checks");
        Assert.Equal("ok", checks.GetProperty("store").GetString());
        Assert.Equal("ok", checks.GetProperty("provider:builtin").GetString());
        Assert.Equal("running", checks.GetProperty("workers").GetString());
        Assert.Equal("ok", (await client.GetFromJsonAsync<JsonElement>("/healthz", Ct)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Readyz_is_503_and_says_why_when_ffmpeg_is_missing()
    {
        using var app = new VidgateApp(settings: new() { ["Providers:Builtin:FfmpegPath"] = "/nonexistent/ffmpeg", ["Vidgate:Workers"] = "false" });
        using var client = app.Client(key: null);
        var response = await client.GetAsync("/readyz", Ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var ready = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("not_ready", ready.GetProperty("status").GetString());
        Assert.Contains("ffmpeg not found", ready.GetProperty("checks").GetProperty("provider:builtin").GetString(), StringComparison.Ordinal);
        Assert.Equal("off", ready.GetProperty("checks").GetProperty("workers").GetString());
    }

    [Fact]
    public async Task Video_urls_use_the_configured_public_base_url()
    {
        using var app = new VidgateApp(settings: new() { ["Vidgate:PublicBaseUrl"] = "https://videos.example.com/" });
        using var client = await app.NewUserAsync();
        var created = await client.CreateAsync(new { model = "grok-imagine-video", prompt = "p", seconds = 1, resolution = "480P" });
        var done = await client.WaitForAsync(created.GetProperty("id").GetString()!, "completed");
        var url = done.GetProperty("video_url").GetString()!;
        Assert.StartsWith($"https://videos.example.com/v1/videos/{created.GetProperty("id").GetString()}/content?expires=", url, StringComparison.Ordinal);
        using var anonymous = app.Client(key: null);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(new Uri(url).PathAndQuery, Ct)).StatusCode);
    }
}
