using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Vidgate.Fakes;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Providers.EndToEnd;

/// <summary>
/// <c>vertex</c> through the whole server: the key is checked as a service-account key, a key the token endpoint
/// refuses gives way to the next, and the finisher decodes the inline video.
/// </summary>
public sealed class VertexEndToEndTests() : VendorEndToEnd<FakeVertex>("vertex")
{
    private string _revoked = "";

    private protected override string Model => "veo-3.1-fast-generate-001";

    /// <summary>Signed by another RSA key than the fake trusts; made in <see cref="StartAsync"/>, as it names the fake's token URI.</summary>
    private protected override string Revoked => _revoked;

    private protected override object? Options => new { location = "us-central1" };

    /// <summary>The keys name the token endpoint, so the port is chosen before the fake starts on it.</summary>
    private protected override Task<FakeVertex> StartAsync()
    {
        var port = FreePort();
        var token = new Uri($"http://127.0.0.1:{port}/token");
        _revoked = FakeVertex.NewKey(token, rsaKey: 1);
        return FakeVertex.StartAsync(new FakeVendorOptions { ApiKey = FakeVertex.NewKey(token) }, port, Ct);
    }

    /// <summary>The refused key was offered (its JWT refused at the token endpoint); only the good key got a token, once.</summary>
    private protected override void AssertRevokedOffered(FakeVertex fake)
    {
        Assert.True(fake.Assertions.Count >= 2, $"{fake.Assertions.Count} token requests");
        Assert.Equal(1, fake.TokensIssued);
    }

    private protected override void AssertSeedSent(FakeVertex fake, FakeVendorJob job) =>
        Assert.Contains("city street", job.Body.GetProperty("instances")[0].GetProperty("prompt").GetString(), StringComparison.Ordinal);

    private protected override void AssertSeedRequests(FakeVertex fake) =>
        Assert.Contains(fake.Requests, r => r.Path.EndsWith($"/models/{Model}:predictLongRunning", StringComparison.Ordinal));

    /// <summary>Veo's instance image: raw base64 and its media type.</summary>
    private protected override void AssertImageSent(FakeVertex fake, JsonElement body, string image)
    {
        var sent = body.GetProperty("instances")[0].GetProperty("image");
        Assert.Equal(Base64(image), sent.GetProperty("bytesBase64Encoded").GetString());
        Assert.Equal("image/png", sent.GetProperty("mimeType").GetString());
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
