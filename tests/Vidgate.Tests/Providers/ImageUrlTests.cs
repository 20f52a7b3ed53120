using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Vidgate.Fakes;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Providers;

/// <summary>
/// Image URLs (OpenAI's <c>input_reference[image_url]</c>, xAI's <c>image.url</c> and <c>reference_images[i].url</c>):
/// fetched at create time through the SSRF guard; errors are 400s naming the field.
/// </summary>
[Collection(UpstreamCollection.Name)]
public sealed class ImageUrlTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<FakeHost> ImagesAsync(byte[] png) => await FakeHost.StartAsync(app =>
    {
        app.MapGet("/cat.png", () => Results.Bytes(png, "image/png"));
        app.MapGet("/page.html", () => Results.Text("<html>not an image</html>", "text/html"));
        app.MapGet("/big.png", () => Results.Bytes([.. png.Take(16), .. new byte[8192]], "image/png"));
    }, ct: Ct);

    private static MultipartFormDataContent Form(string imageUrl) => new()
    {
        { new StringContent("grok-imagine-video"), "model" },
        { new StringContent("the cat wakes up [fake:seconds=0.3]"), "prompt" },
        { new StringContent("2"), "seconds" },
        { new StringContent("854x480"), "size" },
        { new StringContent(imageUrl), "input_reference[image_url]" },
    };

    [Fact]
    public async Task An_image_url_is_fetched_and_sent_upstream_as_the_image()
    {
        var png = await TestImages.BytesAsync("png", 64, 48);
        await using var images = await ImagesAsync(png);
        await using var h = await XaiHarness.StartAsync();
        using var user = await h.App.NewUserAsync();

        using var form = Form(new Uri(images.BaseUrl, "/cat.png").ToString());
        var created = await Api.OkJsonAsync(await user.PostAsync("/v1/videos", form, Ct));
        var id = created.GetProperty("id").GetString()!;
        while ((await user.GetVideoAsync(id)).GetProperty("status").GetString() is "queued" or "in_progress")
        {
            await Task.Delay(100, Ct);
        }

        Assert.Equal("completed", (await user.GetVideoAsync(id)).GetProperty("status").GetString());
        var sent = XaiHarness.LastRequest(h.Fake).GetProperty("image").GetProperty("url").GetString()!;
        Assert.Equal("data:image/png;base64," + Convert.ToBase64String(png), sent);
    }

    [Theory]
    [InlineData("/page.html", "invalid_image")]
    [InlineData("/missing.png", "image_url_unreachable")]
    [InlineData("/big.png", "image_too_large")]
    public async Task A_bad_image_url_is_a_400(string path, string code)
    {
        await using var images = await ImagesAsync(await TestImages.BytesAsync("png", 64, 48));
        await using var h = await XaiHarness.StartAsync(settings: new() { ["Vidgate:MaxImageBytes"] = "4096" });
        using var user = await h.App.NewUserAsync();

        using var form = Form(new Uri(images.BaseUrl, path).ToString());
        var error = await Api.ErrorAsync(await user.PostAsync("/v1/videos", form, Ct), HttpStatusCode.BadRequest);
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal("input_reference[image_url]", error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task Xai_image_and_reference_image_urls_are_fetched_and_sent_upstream_as_images()
    {
        var png = await TestImages.BytesAsync("png", 64, 48);
        await using var images = await ImagesAsync(png);
        await using var h = await XaiHarness.StartAsync();
        using var user = await h.App.NewUserAsync();
        var url = new Uri(images.BaseUrl, "/cat.png").ToString();

        foreach (var body in new object[]
        {
            new { model = "grok-imagine-video", prompt = "the cat [fake:seconds=0.3]", duration = 2, image = new { url } },
            new { model = "grok-imagine-video", prompt = "two cats [fake:seconds=0.3]", duration = 2, reference_images = new object[] { new { url }, url } },
        })
        {
            var created = await Api.OkJsonAsync(await user.PostAsJsonAsync("/v1/videos/generations", body, Ct));
            var id = created.GetProperty("request_id").GetString()!;
            while ((await user.GetVideoAsync(id)).GetProperty("status").GetString() == "pending")
            {
                await Task.Delay(100, Ct);
            }

            Assert.Equal("done", (await user.GetVideoAsync(id)).GetProperty("status").GetString());
        }

        var dataUrl = "data:image/png;base64," + Convert.ToBase64String(png);
        var sent = h.Fake.Requests.Values.ToList();
        Assert.Contains(sent, r => r.TryGetProperty("image", out var i) && i.GetProperty("url").GetString() == dataUrl);
        Assert.Contains(sent, r => r.TryGetProperty("reference_images", out var refs)
            && refs.GetArrayLength() == 2 && refs.EnumerateArray().All(x => x.GetProperty("url").GetString() == dataUrl));
    }

    [Theory]
    [InlineData("/page.html", "invalid_image", true)]
    [InlineData("/missing.png", "image_url_unreachable", false)]
    public async Task A_bad_xai_image_url_is_a_400_naming_the_field(string path, string code, bool reference)
    {
        await using var images = await ImagesAsync(await TestImages.BytesAsync("png", 64, 48));
        await using var h = await XaiHarness.StartAsync();
        using var user = await h.App.NewUserAsync();
        var url = new Uri(images.BaseUrl, path).ToString();
        object body = reference
            ? new { prompt = "x", reference_images = new object[] { new { url = "data:image/png;base64," + Convert.ToBase64String(await TestImages.BytesAsync("png", 8, 8)) }, new { url } } }
            : new { prompt = "x", image = new { url } };

        var error = await Api.ErrorAsync(await user.PostAsJsonAsync("/v1/videos/generations", body, Ct), HttpStatusCode.BadRequest);

        Assert.Equal((code, reference ? "reference_images[1].url" : "image.url"), (error.GetProperty("code").GetString(), error.GetProperty("param").GetString()));
        Assert.Equal(0, h.Fake.Submits);
    }

    [Fact]
    public async Task An_image_url_on_a_private_address_is_refused_without_an_allowlist()
    {
        await using var images = await ImagesAsync(await TestImages.BytesAsync("png", 64, 48));
        await using var h = await XaiHarness.StartAsync(allowLoopback: false);
        using var user = await h.App.NewUserAsync();

        using var form = Form(new Uri(images.BaseUrl, "/cat.png").ToString());
        var error = await Api.ErrorAsync(await user.PostAsync("/v1/videos", form, Ct), HttpStatusCode.BadRequest);
        Assert.Equal("image_url_refused", error.GetProperty("code").GetString());
        var xai = await Api.ErrorAsync(await user.PostAsJsonAsync("/v1/videos/generations",
            new { prompt = "x", image = new { url = new Uri(images.BaseUrl, "/cat.png").ToString() } }, Ct), HttpStatusCode.BadRequest);
        Assert.Equal(("image_url_refused", "image.url"), (xai.GetProperty("code").GetString(), xai.GetProperty("param").GetString()));
        Assert.Equal(0, h.Fake.Submits);
    }
}
