using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Vidgate.Fakes;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Videos;

/// <summary>
/// The one create path: everything that can be refused without an image's bytes (model, fields, how many images) is
/// refused before any image URL is fetched, so a bad request never makes the server fetch on the caller's behalf.
/// </summary>
public sealed class CreatePathTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(FakeHost Host, Func<int> Hits)> ImagesAsync()
    {
        var png = await TestImages.BytesAsync("png", 64, 48);
        var hits = 0;
        var host = await FakeHost.StartAsync(app => app.MapGet("/cat.png", () =>
        {
            Interlocked.Increment(ref hits);
            return Results.Bytes(png, "image/png");
        }), ct: Ct);
        return (host, () => Volatile.Read(ref hits));
    }

    private static VidgateApp App() => new(settings: new()
    {
        ["Vidgate:Workers"] = "false",
        ["Vidgate:Fetch:Allow:0"] = "127.0.0.0/8",
    });

    [Fact]
    public async Task Nine_reference_image_urls_are_refused_by_count_before_any_is_fetched()
    {
        var (images, hits) = await ImagesAsync();
        await using var _ = images;
        using var app = App();
        using var user = await app.NewUserAsync();
        var url = new Uri(images.BaseUrl, "/cat.png").ToString();

        var error = await Api.ErrorAsync(await user.PostAsJsonAsync("/v1/videos/generations",
            new { prompt = "nine cats", reference_images = Enumerable.Range(0, 9).Select(_ => new { url }).ToArray() }, Ct), HttpStatusCode.BadRequest);

        Assert.Equal(("too_many_images", "reference_images"), (error.GetProperty("code").GetString(), error.GetProperty("param").GetString()));
        Assert.Equal(0, hits());
    }

    [Fact]
    public async Task A_create_refused_for_its_fields_fetches_no_image_url()
    {
        var (images, hits) = await ImagesAsync();
        await using var _ = images;
        using var app = App();
        using var user = await app.NewUserAsync();
        var url = new Uri(images.BaseUrl, "/cat.png").ToString();

        var xai = await Api.ErrorAsync(await user.PostAsJsonAsync("/v1/videos/generations",
            new { model = "no-such-model", prompt = "a cat", image = new { url } }, Ct), HttpStatusCode.BadRequest);
        using var form = new MultipartFormDataContent
        {
            { new StringContent("grok-imagine-video"), "model" },
            { new StringContent("a cat"), "prompt" },
            { new StringContent("99"), "seconds" },
            { new StringContent(url), "input_reference[image_url]" },
        };
        var openAi = await Api.ErrorAsync(await user.PostAsync("/v1/videos", form, Ct), HttpStatusCode.BadRequest);

        Assert.Equal("model_not_found", xai.GetProperty("code").GetString());
        Assert.Equal(("invalid_seconds", "seconds"), (openAi.GetProperty("code").GetString(), openAi.GetProperty("param").GetString()));
        Assert.Equal(0, hits());
    }

    [Fact]
    public async Task Remote_and_inline_reference_images_mix_in_one_create()
    {
        var (images, hits) = await ImagesAsync();
        await using var _ = images;
        using var app = App();
        using var user = await app.NewUserAsync();
        var url = new Uri(images.BaseUrl, "/cat.png").ToString();
        var inline = "data:image/png;base64," + Convert.ToBase64String(await TestImages.BytesAsync("png", 8, 8));

        var created = await Api.OkJsonAsync(await user.PostAsJsonAsync("/v1/videos/generations",
            new { prompt = "three cats", reference_images = new object[] { new { url = inline }, new { url }, url } }, Ct));

        Assert.False(string.IsNullOrEmpty(created.GetProperty("request_id").GetString()));
        Assert.Equal(2, hits());
    }
}
