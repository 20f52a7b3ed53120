using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Vidgate.Server.Tasks;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Dialects;

/// <summary>Every bad create gets a 4xx in the documented shape naming the field, creates nothing, and leaves the server healthy.</summary>
public sealed class BadInputTests : IClassFixture<BadInputTests.Server>
{
    public sealed class Server : IDisposable
    {
        public VidgateApp App { get; } = new(settings: new()
        {
            ["Vidgate:Workers"] = "false",
            ["Vidgate:MaxImageBytes"] = (2 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Vidgate:MaxRequestBodyBytes"] = (8 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

        public void Dispose() => App.Dispose();
    }

    private readonly VidgateApp _app;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public BadInputTests(Server server) => _app = server.App;

    private const string Png1x1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

    public static TheoryData<string, string, string, int> Cases => new()
    {
        // body, param, code, status
        { """{"model":"grok-imagine-video","seconds":"6"}""", "prompt", "missing_field", 400 },
        { """{"model":"grok-imagine-video","prompt":""}""", "prompt", "missing_field", 400 },
        { """{"model":"grok-imagine-video","prompt":"   "}""", "prompt", "missing_field", 400 },
        { """{"model":"grok-imagine-video","prompt":42}""", "prompt", "invalid_type", 400 },
        { "{\"model\":\"grok-imagine-video\",\"prompt\":\"" + new string('a', 4097) + "\"}", "prompt", "prompt_too_long", 400 },
        { """{"model":"grok-imagine-video","prompt":"p","seconds":"0"}""", "seconds", "invalid_seconds", 400 },
        { """{"model":"grok-imagine-video","prompt":"p","seconds":0}""", "seconds", "invalid_seconds", 400 },
        { """{"model":"grok-imagine-video","prompt":"p","seconds":"-3"}""", "seconds", "invalid_seconds", 400 },
        { """{"model":"grok-imagine-video","prompt":"p","seconds":2.5}""", "seconds", "invalid_seconds", 400 },
        { """{"model":"grok-imagine-video","prompt":"p","seconds":"2.5"}""", "seconds", "invalid_seconds", 400 },
        { """{"model":"grok-imagine-video","prompt":"p","seconds":"six"}""", "seconds", "invalid_seconds", 400 },
        { """{"model":"grok-imagine-video","prompt":"p","seconds":"16"}""", "seconds", "invalid_seconds", 400 },
        { """{"model":"grok-imagine-video","prompt":"p","seconds":1e30}""", "seconds", "invalid_seconds", 400 },
        { """{"model":"grok-imagine-video","prompt":"p","seconds":true}""", "seconds", "invalid_seconds", 400 },
        { """{"model":"grok-imagine-video","prompt":"p","aspect_ratio":"16:0"}""", "aspect_ratio", "invalid_aspect_ratio", 400 },
        { """{"model":"grok-imagine-video","prompt":"p","aspect_ratio":"wide"}""", "aspect_ratio", "invalid_aspect_ratio", 400 },
        { """{"model":"grok-imagine-video","prompt":"p","aspect_ratio":"5:1"}""", "aspect_ratio", "invalid_aspect_ratio", 400 },
        { """{"model":"grok-imagine-video","prompt":"p","aspect_ratio":"-1:2"}""", "aspect_ratio", "invalid_aspect_ratio", 400 },
        { """{"model":"grok-imagine-video","prompt":"p","aspect_ratio":"1:2:3"}""", "aspect_ratio", "invalid_aspect_ratio", 400 },
        { """{"model":"grok-imagine-video","prompt":"p","resolution":"1080P"}""", "resolution", "invalid_resolution", 400 },
        { """{"model":"grok-imagine-video","prompt":"p","resolution":"HD"}""", "resolution", "invalid_resolution", 400 },
        { """{"model":"grok-imagine-video","prompt":"p","resolution":[720]}""", "resolution", "invalid_resolution", 400 },
        { $$"""{"model":"grok-imagine-video","prompt":"p","image":"data:image/png;base64,{{Png1x1}}","images":["data:image/png;base64,{{Png1x1}}"]}""", "images", "conflicting_fields", 400 },
        { $$"""{"model":"grok-imagine-video","prompt":"p","images":[{{string.Join(",", Enumerable.Repeat($"\"data:image/png;base64,{Png1x1}\"", 8))}}]}""", "images", "too_many_images", 400 },
        { """{"model":"grok-imagine-video","prompt":"p","images":[]}""", "images", "too_many_images", 400 },
        { """{"model":"grok-imagine-video","prompt":"p","images":"data:image/png;base64,AAAA"}""", "images", "invalid_image", 400 },
        { """{"model":"grok-imagine-video","prompt":"p","images":[7]}""", "images[0]", "invalid_image", 400 },
        { """{"model":"grok-imagine-video","prompt":"p","image":"data:image/png;base64,@@not base64@@"}""", "image", "invalid_image", 400 },
        { """{"model":"grok-imagine-video","prompt":"p","image":"data:image/png,rawbytes"}""", "image", "invalid_image", 400 },
        { """{"model":"grok-imagine-video","prompt":"p","image":"https://example.com/cat.png"}""", "image", "invalid_image", 400 },
        { """{"model":"grok-imagine-video","prompt":"p","image":"data:image/png;base64,SGVsbG8sIHdvcmxkIQ=="}""", "image", "invalid_image", 400 },
        { """{"model":"grok-imagine-video","prompt":"p","image":"data:image/gif;base64,R0lGODlhAQABAAAAACw="}""", "image", "unsupported_image_type", 400 },
        { """{"model":"grok-imagine-video","prompt":"p","image":"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA"}""", "image", "invalid_image", 400 },
        { $$"""{"model":"grok-imagine-video","prompt":"p","images":["data:image/png;base64,{{Png1x1}}","data:text/plain;base64,aGk="]}""", "images[1]", "unsupported_image_type", 400 },
        { """{"model":"grok-imagine-video","prompt":"p","image":12}""", "image", "invalid_image", 400 },
        { """{"model":"sora-9","prompt":"p"}""", "model", "model_not_found", 400 },
        { """{"prompt":"p"}""", "model", "missing_field", 400 },
        { """{"model":["grok-imagine-video"],"prompt":"p"}""", "model", "invalid_type", 400 },
        { """{"model":"grok-imagine-video","prompt":"p",""", "body", "invalid_json", 400 },
        { """not json at all""", "body", "invalid_json", 400 },
        { """["model","prompt"]""", "body", "invalid_json", 400 },
        { "", "body", "invalid_json", 400 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_create_bodies_get_a_400_naming_the_field_and_create_nothing(string body, string param, string code, int status)
    {
        var (client, accountId) = await NewUserAsync();
        var response = await client.PostJsonAsync("/v1/videos", body);
        var error = await Api.ErrorAsync(response, (HttpStatusCode)status);
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        await AssertNothingCreatedAndHealthyAsync(accountId);
    }

    [Fact]
    public async Task An_image_over_the_size_limit_is_refused()
    {
        var (client, accountId) = await NewUserAsync();
        var big = Convert.ToBase64String(new byte[3 * 1024 * 1024]);
        var response = await client.PostJsonAsync("/v1/videos", $$"""{"model":"grok-imagine-video","prompt":"p","image":"data:image/png;base64,{{big}}"}""");
        var error = await Api.ErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("image_too_large", error.GetProperty("code").GetString());
        Assert.Equal("image", error.GetProperty("param").GetString());
        await AssertNothingCreatedAndHealthyAsync(accountId);
    }

    [Theory]
    [InlineData(10_000, 6_000, "image_too_large")]
    [InlineData(16_384, 16_384, "image_too_large")]
    [InlineData(7_072, 7_072, "image_too_large")]
    public async Task An_image_whose_canvas_is_over_50_megapixels_is_refused_however_small_the_file(int width, int height, string code)
    {
        var (client, accountId) = await NewUserAsync();

        // PNG signature and IHDR: a flat image of this canvas compresses to a few KB, but decodes to width × height × 4 bytes.
        var png = new byte[64];
        new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R' }.CopyTo(png, 0);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(16), (uint)width);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(20), (uint)height);
        var body = $$"""{"model":"grok-imagine-video","prompt":"p","image":"data:image/png;base64,{{Convert.ToBase64String(png)}}"}""";

        var response = await client.PostJsonAsync("/v1/videos", body);

        var error = await Api.ErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal((code, "image"), (error.GetProperty("code").GetString(), error.GetProperty("param").GetString()));
        Assert.Contains($"{width}×{height}", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        await AssertNothingCreatedAndHealthyAsync(accountId);
    }

    [Fact]
    public async Task An_animated_webp_is_refused_as_an_unsupported_image()
    {
        var (client, accountId) = await NewUserAsync();

        // An extended WebP (VP8X) whose flags byte has the animation bit: ffmpeg cannot decode those, so no render could use it.
        var webp = new byte[64];
        "RIFF"u8.CopyTo(webp);
        "WEBPVP8X"u8.CopyTo(webp.AsSpan(8));
        webp[16] = 10;
        webp[20] = 0x12;
        webp[24] = 0x3F;
        webp[25] = 0x01;
        webp[27] = 0xEF;
        var body = $$"""{"model":"grok-imagine-video","prompt":"p","images":["data:image/webp;base64,{{Convert.ToBase64String(webp)}}"]}""";

        var error = await Api.ErrorAsync(await client.PostJsonAsync("/v1/videos", body), HttpStatusCode.BadRequest);

        Assert.Equal(("unsupported_image_type", "images[0]"), (error.GetProperty("code").GetString(), error.GetProperty("param").GetString()));
        Assert.Contains("animated", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        await AssertNothingCreatedAndHealthyAsync(accountId);
    }

    [Fact]
    public async Task A_body_over_the_request_limit_is_a_413()
    {
        var (client, accountId) = await NewUserAsync();
        var huge = new string('x', 9 * 1024 * 1024);
        var response = await client.PostJsonAsync("/v1/videos", $$"""{"model":"grok-imagine-video","prompt":"{{huge}}"}""");
        var error = await Api.ErrorAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal("request_too_large", error.GetProperty("code").GetString());
        await AssertNothingCreatedAndHealthyAsync(accountId);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task A_body_that_is_not_json_gets_a_415(string contentType)
    {
        var (client, accountId) = await NewUserAsync();
        var response = await client.PostAsync("/v1/videos", new StringContent(Api.SeedBody, Encoding.UTF8, contentType), Ct);
        var error = await Api.ErrorAsync(response, HttpStatusCode.UnsupportedMediaType);
        Assert.Equal("unsupported_media_type", error.GetProperty("code").GetString());
        await AssertNothingCreatedAndHealthyAsync(accountId);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer")]
    [InlineData("Bearer vg_wrong")]
    [InlineData("Basic dXNlcjpwYXNz")]
    public async Task A_missing_or_wrong_key_gets_a_401(string? authorization)
    {
        using var client = _app.Client(key: null);
        if (authorization is not null)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        }

        var error = await Api.ErrorAsync(await client.PostJsonAsync("/v1/videos", Api.SeedBody), HttpStatusCode.Unauthorized);
        Assert.Equal("authentication_error", error.GetProperty("type").GetString());
        await Api.ErrorAsync(await client.GetAsync("/v1/videos/video_x", Ct), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Unknown_ids_and_routes_get_a_404_in_the_error_shape()
    {
        var (client, _) = await NewUserAsync();
        var error = await Api.ErrorAsync(await client.GetAsync("/v1/videos/video_does_not_exist", Ct), HttpStatusCode.NotFound);
        Assert.Equal("video_not_found", error.GetProperty("code").GetString());
        await Api.ErrorAsync(await client.GetAsync("/v1/nothing-here", Ct), HttpStatusCode.NotFound);
        await Api.ErrorAsync(await client.PutAsync("/v1/videos/video_x", null, Ct), HttpStatusCode.MethodNotAllowed);
    }

    private async Task<(HttpClient Client, string AccountId)> NewUserAsync()
    {
        using var admin = _app.Admin();
        var created = await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/keys", new { name = "bad-input" }, Ct));
        return (_app.Client(created.GetProperty("key").GetString()), created.GetProperty("account_id").GetString()!);
    }

    private async Task AssertNothingCreatedAndHealthyAsync(string accountId)
    {
        var tasks = await _app.Service<ITaskStore>().ListAsync(accountId, null, 10, true, Ct);
        Assert.Empty(tasks);
        Assert.Empty(Directory.Exists(Path.Combine(_app.DataDir, "blobs", "inputs")) ? Directory.GetDirectories(Path.Combine(_app.DataDir, "blobs", "inputs")) : []);
        using var anonymous = _app.Client(key: null);
        var health = await anonymous.GetFromJsonAsync<JsonElement>("/healthz", Ct);
        Assert.Equal("ok", health.GetProperty("status").GetString());
    }
}
