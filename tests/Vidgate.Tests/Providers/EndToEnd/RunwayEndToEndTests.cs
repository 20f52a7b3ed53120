using System.Text.Json;
using Vidgate.Fakes;

namespace Vidgate.Tests.Providers.EndToEnd;

/// <summary><c>runway</c> through the whole server; every call names the API version.</summary>
public sealed class RunwayEndToEndTests() : VendorEndToEnd<FakeRunway>("runway")
{
    private protected override string Model => "gen4.5";

    private protected override string ImageModel => "gen4_turbo";

    private protected override string Revoked => "key_revoked";

    private protected override int SeedJobs => 2;

    private protected override Task<FakeRunway> StartAsync() => FakeRunway.StartAsync(ct: Ct);

    private protected override void AssertSeedSent(FakeRunway fake, FakeVendorJob job)
    {
        Assert.Contains("city street", job.Body.GetProperty("promptText").GetString(), StringComparison.Ordinal);
        Assert.Equal((8, "1280:720"), (job.Body.GetProperty("duration").GetInt32(), job.Body.GetProperty("ratio").GetString()));
    }

    private protected override void AssertSeedRequests(FakeRunway fake) =>
        Assert.All(fake.Requests, r => Assert.Equal(FakeRunway.Version, r.Headers.GetValueOrDefault("x-runway-version")));

    private protected override void AssertImageSent(FakeRunway fake, JsonElement body, string image)
    {
        Assert.Equal((image, ImageModel, 6), (body.GetProperty("promptImage").GetString(), body.GetProperty("model").GetString(), body.GetProperty("duration").GetInt32()));
        Assert.Contains(fake.Requests, r => r.Method == "POST" && r.Path == "/v1/image_to_video");
    }
}
