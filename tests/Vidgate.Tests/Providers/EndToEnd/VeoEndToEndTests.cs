using System.Text.Json;
using Vidgate.Fakes;

namespace Vidgate.Tests.Providers.EndToEnd;

/// <summary><c>veo</c> (the Gemini API) through the whole server.</summary>
public sealed class VeoEndToEndTests() : VendorEndToEnd<FakeVeo>("veo")
{
    private protected override string Model => "veo-3.1-generate-preview";

    private protected override string Revoked => "AIza-revoked-key-000000000000";

    private protected override int SeedJobs => 2;

    private protected override Task<FakeVeo> StartAsync() => FakeVeo.StartAsync(ct: Ct);

    /// <summary>Gemini takes the key in its own header.</summary>
    private protected override bool Carries(FakeVendorRequest request, string key) => request.Headers.GetValueOrDefault("x-goog-api-key") == key;

    private protected override void AssertSeedSent(FakeVeo fake, FakeVendorJob job) =>
        Assert.Contains("city street", job.Body.GetRawText(), StringComparison.Ordinal);

    /// <summary>The instance image as raw base64.</summary>
    private protected override void AssertImageSent(FakeVeo fake, JsonElement body, string image) =>
        Assert.Equal(Base64(image), body.GetProperty("instances")[0].GetProperty("image").GetProperty("bytesBase64Encoded").GetString());
}
