using System.Net.Http.Json;
using System.Text.Json;
using Vidgate.Fakes;
using Vidgate.Tests.Providers;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Callbacks;

/// <summary>
/// A server whose polling alone is too slow to finish a job within a test (the first poll 60 s after the submit, then
/// every 60 s), with a public address, so a prompt ending can only come from a callback; and a vendor fake whose
/// callbacks go into that in-process server as the vendor would POST them.
/// </summary>
internal static class CallbackHarness
{
    public const string PublicBase = "http://vidgate.test";

    /// <summary>Well inside the 60 s before the first poll: a task done by then was woken by a callback.</summary>
    public static readonly TimeSpan Prompt = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static VidgateApp Start(Dictionary<string, string?>? extra = null, string? publicBase = PublicBase)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Vidgate:Upstreams:MinPollInterval"] = "00:01:00",
            ["Vidgate:Upstreams:MaxPollInterval"] = "00:01:00",
            ["Vidgate:Upstreams:MaxBlindPollInterval"] = "00:01:00",
            ["Vidgate:Upstreams:RetryDelay"] = "00:00:01",
            ["Vidgate:Fetch:Allow:0"] = "127.0.0.0/8",
            ["Vidgate:PublicBaseUrl"] = publicBase,
        };
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }

        return new VidgateApp(settings: settings);
    }

    /// <summary>Sends the fake's callbacks into <paramref name="app"/> (the public host is ours, only the path matters).</summary>
    public static HttpClient Wire(VidgateApp app, FakeVendor fake)
    {
        var server = app.CreateClient();
        fake.DeliverCallback = (request, ct) =>
        {
            request.RequestUri = new Uri(request.RequestUri!.PathAndQuery, UriKind.Relative);
            return server.SendAsync(request, ct);
        };
        return server;
    }

    /// <summary>Adds instance <paramref name="id"/> of <paramref name="type"/> on the fake with <paramref name="options"/> and routes the seed model to it.</summary>
    public static async Task ConnectAsync(VidgateApp app, FakeVendor fake, string id, string type, string model, object options)
    {
        using (var admin = app.Admin())
        {
            await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/providers", new
            {
                id,
                type,
                base_url = fake.BaseUrl.ToString(),
                api_keys = new[] { fake.Options.ApiKey },
                request_timeout_seconds = 10,
                model_map = new Dictionary<string, string> { ["grok-imagine-video"] = model },
                options,
            }, Ct));
        }

        await UpstreamServer.RouteAsync(app, id);
    }

    /// <summary>Waits until <paramref name="check"/> holds (the fake's requests and callbacks arrive on their own threads).</summary>
    public static async Task UntilAsync(Func<bool> check, string what)
    {
        var deadline = DateTime.UtcNow + Prompt;
        while (!check())
        {
            Assert.True(DateTime.UtcNow < deadline, $"still waiting for {what}");
            await Task.Delay(25, Ct);
        }
    }

    /// <summary>The callback URL the one submit carried in <paramref name="field"/>.</summary>
    public static string CallbackUrl(FakeVendor fake, string field = "callback_url")
        => Assert.Single(fake.Submitted).GetProperty(field).GetString()!;

    /// <summary>Polls the fake received (GETs other than result downloads).</summary>
    public static int Polls(FakeVendor fake) => fake.Requests.Count(r => r.Method == "GET" && !r.Path.Contains(".mp4", StringComparison.Ordinal));

    public static async Task<HttpResponseMessage> PostAsync(HttpClient server, string url, string body = """{"status":"succeeded"}""", Action<HttpRequestMessage>? sign = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(url).PathAndQuery)
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        };
        sign?.Invoke(request);
        return await server.SendAsync(request, Ct);
    }

    public static string Status(JsonElement video) => video.GetProperty("status").GetString()!;
}
