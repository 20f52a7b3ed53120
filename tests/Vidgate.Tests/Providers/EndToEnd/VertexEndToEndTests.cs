using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Vidgate.Fakes;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Providers.EndToEnd;

/// <summary>
/// <c>vertex</c> through the whole server: admin API (the key checked as a service-account key), submitter (a key the
/// token endpoint refuses → the next key), tracker, finisher (the inline video decoded), real SQLite and ffprobe.
/// </summary>
public sealed class VertexEndToEndTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_seed_curl_body_completes_through_vertex_past_a_refused_key_and_is_served_as_our_own_mp4()
    {
        var port = FreePort();
        var token = new Uri($"http://127.0.0.1:{port}/token");
        var good = FakeVertex.NewKey(token);
        var revoked = FakeVertex.NewKey(token, rsaKey: 1);
        await using var fake = await FakeVertex.StartAsync(new FakeVendorOptions { ApiKey = good }, port, Ct);
        using var app = UpstreamServer.Start();
        using (var admin = app.Admin())
        {
            await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/providers", new
            {
                id = "vertex-main",
                type = "vertex",
                base_url = fake.BaseUrl.ToString(),
                api_keys = new[] { revoked, good },
                request_timeout_seconds = 10,
                model_map = new Dictionary<string, string> { ["grok-imagine-video"] = "veo-3.1-fast-generate-001" },
                options = new { location = "us-central1" },
            }, Ct));
        }

        await UpstreamServer.RouteAsync(app, "vertex-main");
        using var user = await app.NewUserAsync();

        var id = (await Api.OkJsonAsync(await user.PostJsonAsync("/v1/videos", Api.SeedBody))).GetProperty("id").GetString()!;
        var done = await user.WaitForAsync(id, "completed", TimeSpan.FromSeconds(60));

        Assert.DoesNotContain(fake.BaseUrl.Authority, done.GetProperty("video_url").GetString(), StringComparison.Ordinal);
        var probe = await Ffprobe.ProbeAsync(await user.GetByteArrayAsync($"/v1/videos/{id}/content", Ct), Ct);
        Assert.Equal("h264", probe.CodecName);
        // The refused key was offered (its JWT refused at the token endpoint); only the good key got a token, once.
        Assert.True(fake.Assertions.Count >= 2, $"{fake.Assertions.Count} token requests");
        Assert.Equal(1, fake.TokensIssued);
        var body = Assert.Single(fake.Submitted);
        Assert.Contains("city street", body.GetProperty("instances")[0].GetProperty("prompt").GetString(), StringComparison.Ordinal);
        Assert.Contains(fake.Requests, r => r.Path.EndsWith("/models/veo-3.1-fast-generate-001:predictLongRunning", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_admin_api_refuses_a_key_that_is_not_a_service_account_key_without_echoing_it_and_a_spaced_plain_key()
    {
        using var app = UpstreamServer.Start();

        var refused = await UpstreamServer.AddProviderAsync(app, "vertex-bad", "vertex", new Uri("https://us-central1-aiplatform.googleapis.com"), "AIza-this-is-no-json-key", null);

        var message = (await Api.ErrorAsync(refused, HttpStatusCode.BadRequest)).GetProperty("message").GetString();
        Assert.Contains("service-account JSON key", message, StringComparison.Ordinal);
        Assert.DoesNotContain("AIza-this-is-no-json-key", message, StringComparison.Ordinal);

        // Spaces stay a paste error in any key that is not a JSON document.
        var spaced = await UpstreamServer.AddProviderAsync(app, "vertex-spaced", "vertex", new Uri("https://us-central1-aiplatform.googleapis.com"), "AIza this-has a-space", null);
        Assert.Equal("api_keys", (await Api.ErrorAsync(spaced, HttpStatusCode.BadRequest)).GetProperty("param").GetString());
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
