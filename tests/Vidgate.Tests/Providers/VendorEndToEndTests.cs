using Vidgate.Tests.Support;

namespace Vidgate.Tests.Providers;

/// <summary>The kit's vendor types at the admin API (their runs through the whole server are in <c>EndToEnd</c>, on <see cref="EndToEnd.VendorEndToEnd{TFake}"/>).</summary>
public sealed class VendorEndToEndTests
{
    [Fact]
    public async Task The_admin_api_refuses_a_kling_key_without_its_secret_half_and_unknown_options_with_the_reason()
    {
        using var app = UpstreamServer.Start();

        var halfKey = await UpstreamServer.AddProviderAsync(app, "kling-bad", "kling", new Uri("https://api-singapore.klingai.com"), "only-access-key", null);
        var typo = await UpstreamServer.AddProviderAsync(app, "veo-bad", "veo", new Uri("https://generativelanguage.googleapis.com"), "AIza-key", """{"fit":"exact"}""");

        Assert.Contains("secret", (await Api.ErrorAsync(halfKey, System.Net.HttpStatusCode.BadRequest)).GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("fit", (await Api.ErrorAsync(typo, System.Net.HttpStatusCode.BadRequest)).GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
