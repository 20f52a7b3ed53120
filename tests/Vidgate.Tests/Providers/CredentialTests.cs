using System.Collections.Concurrent;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Providers;

/// <summary>Upstream API keys never appear in any response or any log line, at every log level.</summary>
[Collection(UpstreamCollection.Name)]
public sealed class CredentialTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Upstream_keys_appear_in_no_response_and_no_log_line()
    {
        var logs = new CapturedLogs();
        await using var h = await XaiHarness.StartAsync(
            upstreams: 1,
            configure: false,
            settings: new() { ["Logging:LogLevel:Default"] = "Trace", ["Logging:LogLevel:Vidgate"] = "Trace", ["Logging:LogLevel:Microsoft"] = "Trace", ["Logging:LogLevel:System"] = "Trace" },
            services: s => s.AddSingleton<ILoggerProvider>(logs));
        var wrongKey = "xai-wrong-secret-" + Guid.NewGuid().ToString("N");
        var goodKey = h.Fake.Options.ApiKey;
        var bodies = new List<string>();
        using var admin = h.App.Admin();

        // One instance with a key the upstream refuses (401 → next route), one with the right key.
        async Task<string> Send(HttpResponseMessage response)
        {
            var text = await response.Content.ReadAsStringAsync(Ct);
            bodies.Add(text);
            return text;
        }

        await Send(await admin.PostAsJsonAsync("/admin/providers", new { id = "wrong", type = "xai", base_url = h.Fake.BaseUrl.ToString(), api_keys = new[] { wrongKey } }, Ct));
        await Send(await admin.PostAsJsonAsync("/admin/providers", new { id = "right", type = "xai", base_url = h.Fake.BaseUrl.ToString(), api_keys = new[] { goodKey } }, Ct));
        await Send(await admin.PostAsJsonAsync("/admin/routes", new { model = "grok-imagine-video", provider = "wrong", priority = 0 }, Ct));
        await Send(await admin.PostAsJsonAsync("/admin/routes", new { model = "grok-imagine-video", provider = "right", priority = 1 }, Ct));
        await Send(await admin.PutAsJsonAsync("/admin/providers/right", new { type = "xai", base_url = h.Fake.BaseUrl.ToString(), max_requests_per_second = 50 }, Ct));
        await Send(await admin.PostAsJsonAsync("/admin/providers", new { id = "bad one", type = "xai", base_url = "https://x", api_keys = new[] { wrongKey } }, Ct));

        using var user = await h.App.NewUserAsync();
        var created = await user.CreateAsync(new { model = "grok-imagine-video", prompt = "keep it secret [fake:seconds=0.5]", seconds = "2" });
        var id = created.GetProperty("id").GetString()!;
        bodies.Add((await user.WaitForAsync(id, "completed", TimeSpan.FromSeconds(30))).ToString());
        foreach (var path in new[] { "/admin/providers", "/admin/providers/right", "/admin/providers/wrong", "/admin/routes", "/v1/videos", $"/v1/videos/{id}", "/v1/models", "/readyz" })
        {
            await Send(await (path.StartsWith("/admin", StringComparison.Ordinal) ? admin : user).GetAsync(path, Ct));
        }

        // The keys did reach the upstream (so the test can fail), and the refusal was logged (by position, not by value).
        Assert.Equal(2, h.Fake.Submits);
        Assert.Contains(logs.Lines, l => l.Contains("refused its API key", StringComparison.Ordinal));
        foreach (var key in new[] { wrongKey, goodKey })
        {
            Assert.DoesNotContain(bodies, b => b.Contains(key, StringComparison.Ordinal));
            Assert.DoesNotContain(logs.Lines, l => l.Contains(key, StringComparison.Ordinal));
        }
    }
}
