using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Webhooks;

/// <summary>What the webhook tests share: a server that may POST to loopback, and registering an endpoint.</summary>
internal static class WebhookKit
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Settings letting deliveries reach the loopback receiver (the SSRF guard's allowlist, as an operator would).</summary>
    public static Dictionary<string, string?> Loopback(Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?> { ["Vidgate:Fetch:Allow:0"] = "127.0.0.1" };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>Adds an endpoint through <paramref name="path"/> (<c>/v1/webhooks</c> or an admin route); its id and secret.</summary>
    public static async Task<(string Id, string Secret)> RegisterAsync(HttpClient client, string url, string[]? events = null, string path = "/v1/webhooks")
    {
        var response = events is null ? await client.PostAsJsonAsync(path, new { url }, Ct) : await client.PostAsJsonAsync(path, new { url, events }, Ct);
        var endpoint = await Api.OkJsonAsync(response);
        Assert.Equal("webhook_endpoint", endpoint.GetProperty("object").GetString());
        Assert.StartsWith("we_", endpoint.GetProperty("id").GetString());
        var secret = endpoint.GetProperty("secret").GetString()!;
        Assert.StartsWith("whsec_", secret);
        return (endpoint.GetProperty("id").GetString()!, secret);
    }

    public static async Task<JsonElement> DeliveriesAsync(VidgateApp app, string query)
    {
        using var admin = app.Admin();
        return await Api.OkJsonAsync(await admin.GetAsync($"/admin/webhook-deliveries?{query}", Ct));
    }

    /// <summary>Waits (real time) until the admin log shows the delivery of <paramref name="videoId"/> in <paramref name="status"/>.</summary>
    public static async Task<JsonElement> WaitForDeliveryAsync(VidgateApp app, string videoId, string status)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var page = await DeliveriesAsync(app, $"video_id={videoId}");
            if (page.GetProperty("data").EnumerateArray().FirstOrDefault(d => d.GetProperty("status").GetString() == status) is { ValueKind: JsonValueKind.Object } found)
            {
                return found;
            }

            Assert.True(DateTime.UtcNow < deadline, $"no {status} delivery for {videoId}: {page}");
            await Task.Delay(50, Ct);
        }
    }

    public static async Task<JsonElement> EndpointAsync(HttpClient client, string id, HttpStatusCode expected = HttpStatusCode.OK)
        => expected == HttpStatusCode.OK
            ? await Api.OkJsonAsync(await client.GetAsync($"/v1/webhooks/{id}", Ct))
            : await Api.ErrorAsync(await client.GetAsync($"/v1/webhooks/{id}", Ct), expected);
}
