using System.Text.Json;
using Vidgate.Fakes;

namespace Vidgate.Tests.Providers.EndToEnd;

/// <summary><c>fal</c> through the whole server; the tracker reads the status, then the result.</summary>
public sealed class FalEndToEndTests() : VendorEndToEnd<FakeFal>("fal")
{
    private protected override string Model => "fal-ai/kling-video/v2.1/pro/text-to-video";

    private protected override string ImageModel => "fal-ai/kling-video/v2.1/pro/image-to-video";

    private protected override string Revoked => "revoked-id:revoked-secret";

    /// <summary>fal's endpoints are per task: the map in the options names the text one and the image one.</summary>
    private protected override object? ModelMap(bool image) => null;

    private protected override object? Options => new { model_map = new Dictionary<string, object> { [PublicModel] = new { text = Model, image = ImageModel } } };

    private protected override Task<FakeFal> StartAsync() => FakeFal.StartAsync(ct: Ct);

    private protected override bool Carries(FakeVendorRequest request, string key) => request.Headers.GetValueOrDefault("authorization") == "Key " + key;

    private protected override void AssertSeedSent(FakeFal fake, FakeVendorJob job)
    {
        Assert.Contains("city street", job.Prompt, StringComparison.Ordinal);
        Assert.Contains(fake.Requests, r => r.Method == "POST" && r.Path == "/" + Model);
        Assert.Contains(fake.Requests, r => r.Method == "GET" && r.Path == $"/fal-ai/kling-video/requests/{job.Id}");
    }

    private protected override void AssertImageSent(FakeFal fake, JsonElement body, string image)
    {
        Assert.Equal(image, body.GetProperty("image_url").GetString());
        Assert.Equal("5", body.GetProperty("duration").GetString());
        Assert.Contains(fake.Requests, r => r.Method == "POST" && r.Path == "/" + ImageModel);
    }
}
