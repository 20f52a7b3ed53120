using System.Text;
using System.Text.Json;
using Vidgate.Fakes;

namespace Vidgate.Tests.Providers.EndToEnd;

/// <summary><c>kling</c> through the whole server; a key is an access key and a secret, sent as a signed token.</summary>
public sealed class KlingEndToEndTests() : VendorEndToEnd<FakeKling>("kling")
{
    private protected override string Model => "kling-v2-6";

    private protected override string ImageModel => "kling-v2-1";

    private protected override string Revoked => "ak-revoked|sk-revoked";

    private protected override int SeedJobs => 2;

    private protected override Task<FakeKling> StartAsync() => FakeKling.StartAsync(ct: Ct);

    /// <summary>The token names the access key (the key's first half) as its <c>iss</c>.</summary>
    private protected override bool Carries(FakeVendorRequest request, string key)
    {
        var token = request.Headers.GetValueOrDefault("authorization")?.Split(' ').Last().Split('.');
        if (token is not [_, var payload, _])
        {
            return false;
        }

        var padded = payload.Replace('-', '+').Replace('_', '/');
        using var claims = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(padded + new string('=', (4 - padded.Length % 4) % 4))));
        return claims.RootElement.GetProperty("iss").GetString() == key.Split('|')[0];
    }

    private protected override void AssertSeedSent(FakeKling fake, FakeVendorJob job) =>
        Assert.Contains("city street", job.Body.GetRawText(), StringComparison.Ordinal);

    /// <summary>Raw base64 on image2video, which takes no aspect ratio (the image has one).</summary>
    private protected override void AssertImageSent(FakeKling fake, JsonElement body, string image)
    {
        Assert.Equal(Base64(image), body.GetProperty("image").GetString());
        Assert.Contains(fake.Requests, r => r.Method == "POST" && r.Path == "/v1/videos/image2video");
        Assert.False(body.TryGetProperty("aspect_ratio", out _));
    }
}
