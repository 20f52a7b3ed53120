using System.Text.Json;
using Vidgate.Fakes;

namespace Vidgate.Tests.Providers.EndToEnd;

/// <summary><c>replicate</c> through the whole server; the finisher fetches the output URL through the guard.</summary>
public sealed class ReplicateEndToEndTests() : VendorEndToEnd<FakeReplicate>("replicate")
{
    private protected override string Model => "kwaivgi/kling-v2.1";

    private protected override string Revoked => "r8_revoked0000000000000000000000000000";

    private protected override Task<FakeReplicate> StartAsync() => FakeReplicate.StartAsync(ct: Ct);

    private protected override void AssertSeedSent(FakeReplicate fake, FakeVendorJob job) =>
        Assert.Contains("city street", job.Body.GetProperty("input").GetProperty("prompt").GetString(), StringComparison.Ordinal);

    private protected override void AssertSeedRequests(FakeReplicate fake) =>
        Assert.Contains(fake.Requests, r => r.Method == "POST" && r.Path == $"/v1/models/{Model}/predictions");

    /// <summary>The image goes in the model's own input field (Kling 2.1's <c>start_image</c>), with a length it makes.</summary>
    private protected override void AssertImageSent(FakeReplicate fake, JsonElement body, string image)
    {
        var input = body.GetProperty("input");
        Assert.Equal(image, input.GetProperty("start_image").GetString());
        Assert.Equal(5, input.GetProperty("duration").GetInt32());
    }
}
