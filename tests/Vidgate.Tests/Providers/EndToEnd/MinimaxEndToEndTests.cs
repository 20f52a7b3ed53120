using System.Text.Json;
using Vidgate.Fakes;

namespace Vidgate.Tests.Providers.EndToEnd;

/// <summary><c>minimax</c> through the whole server; the finisher goes through the file retrieve.</summary>
public sealed class MinimaxEndToEndTests() : VendorEndToEnd<FakeMinimax>("minimax")
{
    private protected override string Model => "MiniMax-Hailuo-2.3";

    private protected override string Revoked => "eyJrevoked-minimax-key";

    private protected override Task<FakeMinimax> StartAsync() => FakeMinimax.StartAsync(ct: Ct);

    private protected override void AssertSeedSent(FakeMinimax fake, FakeVendorJob job)
    {
        Assert.Equal(Model, job.Body.GetProperty("model").GetString());
        Assert.Contains("city street", job.Body.GetProperty("prompt").GetString(), StringComparison.Ordinal);
    }

    private protected override void AssertSeedRequests(FakeMinimax fake) =>
        Assert.Contains(fake.Requests, r => r.Path.StartsWith("/v1/files/retrieve?file_id=", StringComparison.Ordinal));

    private protected override void AssertImageSent(FakeMinimax fake, JsonElement body, string image) =>
        Assert.Equal(image, body.GetProperty("first_frame_image").GetString());
}
