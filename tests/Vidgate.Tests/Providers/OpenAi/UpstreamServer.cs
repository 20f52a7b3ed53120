using System.Net.Http.Json;
using System.Text.Json;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Providers;

/// <summary>
/// The real server with fast polling and loopback allowlisted for the SSRF guard (the fakes live on 127.0.0.1);
/// provider instances and routes are added through the admin API exactly as an operator would.
/// </summary>
internal static class UpstreamServer
{
    public static VidgateApp Start() => new(settings: new Dictionary<string, string?>
    {
        ["Vidgate:Upstreams:MinPollInterval"] = "00:00:00.200",
        ["Vidgate:Upstreams:MaxPollInterval"] = "00:00:01",
        ["Vidgate:Upstreams:MaxBlindPollInterval"] = "00:00:01",
        ["Vidgate:Upstreams:RetryDelay"] = "00:00:01",
        ["Vidgate:Fetch:Allow:0"] = "127.0.0.0/8",
    });

    /// <summary><c>POST /admin/providers</c>; returns the response so tests can check refusals too.</summary>
    public static async Task<HttpResponseMessage> AddProviderAsync(VidgateApp app, string id, string type, Uri baseUrl, string key, string? options)
    {
        using var admin = app.Admin();
        return await admin.PostAsJsonAsync("/admin/providers", new
        {
            id,
            type,
            base_url = baseUrl.ToString(),
            api_keys = new[] { key },
            request_timeout_seconds = 10,
            options = options is null ? (JsonElement?)null : JsonDocument.Parse(options).RootElement.Clone(),
        }, TestContext.Current.CancellationToken);
    }

    public static async Task RouteAsync(VidgateApp app, string provider, int priority = 0, string model = "grok-imagine-video")
    {
        using var admin = app.Admin();
        await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/routes", new { model, provider, priority }, TestContext.Current.CancellationToken));
    }

    public static async Task ConnectAsync(VidgateApp app, string id, string type, Uri baseUrl, string key, string? options, int priority = 0)
    {
        await Api.OkJsonAsync(await AddProviderAsync(app, id, type, baseUrl, key, options));
        await RouteAsync(app, id, priority);
    }

    /// <summary>Polls until the task is finished, whatever the outcome.</summary>
    public static async Task<JsonElement> WaitFinishedAsync(HttpClient user, string id, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var video = await user.GetVideoAsync(id);
            if (video.GetProperty("status").GetString() is "completed" or "failed" or "cancelled")
            {
                return video;
            }

            Assert.True(DateTime.UtcNow < deadline, $"task {id} not finished in time: {video}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }
}
