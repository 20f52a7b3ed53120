using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Vidgate.Fakes;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Providers;

/// <summary>
/// A server wired to one or more fake xAI upstreams on loopback: each fake is a provider instance
/// (<c>xai-0</c>, <c>xai-1</c>, …) routed for <c>grok-imagine-video</c> with priority = its index.
/// Loopback is allowlisted for the SSRF guard (the fakes' result URLs are on 127.0.0.1) unless told otherwise.
/// </summary>
public sealed class XaiHarness : IAsyncDisposable
{
    private XaiHarness(VidgateApp app, IReadOnlyList<FakeXaiUpstream> fakes)
    {
        App = app;
        Fakes = fakes;
    }

    public VidgateApp App { get; }

    public IReadOnlyList<FakeXaiUpstream> Fakes { get; }

    public FakeXaiUpstream Fake => Fakes[0];

    public static async Task<XaiHarness> StartAsync(
        int upstreams = 1,
        Dictionary<string, string?>? settings = null,
        bool allowLoopback = true,
        double requestTimeoutSeconds = 10,
        string? dataDir = null,
        Action<IServiceCollection>? services = null,
        string type = "xai",
        bool configure = true,
        FakeTimeProvider? clock = null)
    {
        var fakes = new List<FakeXaiUpstream>();
        for (var i = 0; i < upstreams; i++)
        {
            var options = new FakeXaiOptions { ApiKey = $"xai-secret-key-{i}-{Guid.NewGuid():N}", Clock = clock ?? TimeProvider.System };
            fakes.Add(await FakeXaiUpstream.StartAsync(options, ct: TestContext.Current.CancellationToken));
        }

        var all = new Dictionary<string, string?>
        {
            ["Vidgate:Upstreams:MinPollInterval"] = "00:00:00.200",
            ["Vidgate:Upstreams:MaxPollInterval"] = "00:00:01",
            ["Vidgate:Upstreams:MaxBlindPollInterval"] = "00:00:01",
            ["Vidgate:Upstreams:RetryDelay"] = "00:00:01",
        };
        if (allowLoopback)
        {
            all["Vidgate:Fetch:Allow:0"] = "127.0.0.0/8";
        }

        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        var app = new VidgateApp(dataDir, clock, settings: all, services: services);
        var harness = new XaiHarness(app, fakes);
        if (configure)
        {
            for (var i = 0; i < fakes.Count; i++)
            {
                await harness.AddProviderAsync($"xai-{i}", fakes[i], priority: i, requestTimeoutSeconds, type);
            }
        }

        return harness;
    }

    public async Task AddProviderAsync(string id, FakeXaiUpstream fake, int priority, double requestTimeoutSeconds = 10, string type = "xai")
    {
        using var admin = App.Admin();
        var ct = TestContext.Current.CancellationToken;
        var provider = await admin.PostAsJsonAsync("/admin/providers", new
        {
            id,
            type,
            base_url = fake.BaseUrl.ToString(),
            api_keys = new[] { fake.Options.ApiKey },
            request_timeout_seconds = requestTimeoutSeconds,
        }, ct);
        await Api.OkJsonAsync(provider);
        var route = await admin.PostAsJsonAsync("/admin/routes", new { model = "grok-imagine-video", provider = id, priority }, ct);
        await Api.OkJsonAsync(route);
    }

    /// <summary>The body the fake received for its only (or last) accepted job.</summary>
    public static JsonElement LastRequest(FakeXaiUpstream fake) => fake.Requests.Values.Single();

    public async ValueTask DisposeAsync()
    {
        App.Dispose();
        foreach (var fake in Fakes)
        {
            await fake.DisposeAsync();
        }
    }
}
