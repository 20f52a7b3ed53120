using System.Text.Json;
using Vidgate.Fakes;

namespace Vidgate.Tests.Providers.EndToEnd;

/// <summary><c>ark</c> (Seedance) through the whole server; the finisher fetches the pre-signed URL byte-exact.</summary>
public sealed class ArkEndToEndTests() : VendorEndToEnd<FakeArk>("ark")
{
    private protected override string Model => "doubao-seedance-1-0-pro-250528";

    private protected override string Revoked => "00000000-revoked-ark-key";

    private protected override Task<FakeArk> StartAsync() => FakeArk.StartAsync(ct: Ct);

    private protected override void AssertSeedSent(FakeArk fake, FakeVendorJob job)
    {
        Assert.Equal(Model, job.Body.GetProperty("model").GetString());
        Assert.Equal((8, "720p", "16:9"), (job.Body.GetProperty("duration").GetInt32(), job.Body.GetProperty("resolution").GetString(), job.Body.GetProperty("ratio").GetString()));
        Assert.Contains("city street", job.Body.GetProperty("content")[0].GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    /// <summary>The second content item: the image as a first-frame data URI.</summary>
    private protected override void AssertImageSent(FakeArk fake, JsonElement body, string image)
    {
        var item = body.GetProperty("content")[1];
        Assert.Equal(image, item.GetProperty("image_url").GetProperty("url").GetString());
        Assert.Equal("first_frame", item.GetProperty("role").GetString());
    }
}
