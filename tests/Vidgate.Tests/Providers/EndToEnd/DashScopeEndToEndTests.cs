using System.Text.Json;
using Vidgate.Fakes;

namespace Vidgate.Tests.Providers.EndToEnd;

/// <summary><c>dashscope</c> (Wan) through the whole server with the text/image model map.</summary>
public sealed class DashScopeEndToEndTests() : VendorEndToEnd<FakeDashScope>("dashscope")
{
    private protected override string Model => "wan2.5-t2v-preview";

    private protected override string ImageModel => "wan2.5-i2v-preview";

    private protected override string Revoked => "sk-revoked-dashscope-key";

    /// <summary>Wan 2.5 makes 5 or 10 s.</summary>
    private protected override string ImageSeconds => "5";

    /// <summary>One instance for both: the map in the options sends text and image requests to their own models.</summary>
    private protected override object? ModelMap(bool image) => null;

    private protected override object? Options => new { model_map = new Dictionary<string, object> { [PublicModel] = new { text = Model, image = ImageModel } } };

    private protected override Task<FakeDashScope> StartAsync() => FakeDashScope.StartAsync(ct: Ct);

    private protected override void AssertSeedSent(FakeDashScope fake, FakeVendorJob job)
    {
        Assert.Equal(Model, job.Body.GetProperty("model").GetString());
        Assert.Equal("1280*720", job.Body.GetProperty("parameters").GetProperty("size").GetString());
        Assert.Contains("city street", job.Body.GetProperty("input").GetProperty("prompt").GetString(), StringComparison.Ordinal);
    }

    private protected override void AssertImageSent(FakeDashScope fake, JsonElement body, string image)
    {
        Assert.Equal(ImageModel, body.GetProperty("model").GetString());
        Assert.Equal(image, body.GetProperty("input").GetProperty("img_url").GetString());
    }
}
