using System.Text.Json;
using Vidgate.Fakes;

namespace Vidgate.Tests.Providers.EndToEnd;

/// <summary><c>vidu</c> through the whole server.</summary>
public sealed class ViduEndToEndTests() : VendorEndToEnd<FakeVidu>("vidu")
{
    private protected override string Model => "viduq2";

    private protected override string ImageModel => "viduq1";

    private protected override string Revoked => "vda-revoked-key-0000";

    private protected override int SeedJobs => 2;

    private protected override Task<FakeVidu> StartAsync() => FakeVidu.StartAsync(ct: Ct);

    private protected override bool Carries(FakeVendorRequest request, string key) => request.Headers.GetValueOrDefault("authorization") == "Token " + key;

    private protected override void AssertSeedSent(FakeVidu fake, FakeVendorJob job)
    {
        Assert.Contains("city street", job.Body.GetProperty("prompt").GetString(), StringComparison.Ordinal);
        Assert.Equal((8, "720p", "16:9"), (job.Body.GetProperty("duration").GetInt32(), job.Body.GetProperty("resolution").GetString(), job.Body.GetProperty("aspect_ratio").GetString()));
    }

    private protected override void AssertImageSent(FakeVidu fake, JsonElement body, string image)
    {
        Assert.Equal(image, Assert.Single(body.GetProperty("images").EnumerateArray()).GetString());
        // viduq1 makes 5 s at 1080p only: the 6 s 720P ask was snapped to what it makes.
        Assert.Equal((5, "1080p"), (body.GetProperty("duration").GetInt32(), body.GetProperty("resolution").GetString()));
        Assert.Contains(fake.Requests, r => r.Method == "POST" && r.Path == "/ent/v2/img2video");
    }
}
