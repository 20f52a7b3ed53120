using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Vidgate.Server.Tasks;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Dialects;

/// <summary>Malformed multipart bodies on every route that reads one: always a 4xx in the error shape, never a 5xx, nothing created.</summary>
public sealed class MultipartBadInputTests : IClassFixture<MultipartBadInputTests.Server>
{
    public sealed class Server : IDisposable
    {
        public VidgateApp App { get; } = new(settings: new()
        {
            ["Vidgate:Workers"] = "false",
            ["Vidgate:MaxImageBytes"] = (1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Vidgate:MaxRequestBodyBytes"] = (4 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

        public void Dispose() => App.Dispose();
    }

    private const string Boundary = "vidgate-test-boundary";
    private readonly VidgateApp _app;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public MultipartBadInputTests(Server server) => _app = server.App;

    private static string Part(string name, string value) =>
        $"--{Boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n";

    private static ByteArrayContent Raw(string body, string contentType = $"multipart/form-data; boundary={Boundary}")
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    public static TheoryData<string, string, string> RawCases => new()
    {
        // body, content type, expected code
        { Part("model", "sora-2") + Part("prompt", "p") + $"--{Boundary}--\r\n", "multipart/form-data", "invalid_multipart" },
        { Part("model", "sora-2") + Part("prompt", "p") + $"--{Boundary}--\r\n", "multipart/form-data; boundary=", "invalid_multipart" },
        { Part("model", "sora-2") + $"--{Boundary}\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nunfinished", $"multipart/form-data; boundary={Boundary}", "invalid_multipart" },
        { $"--{Boundary}\r\nContent-Disposition: form-data; name=\"prompt\"", $"multipart/form-data; boundary={Boundary}", "invalid_multipart" },
        { "this is not multipart at all", $"multipart/form-data; boundary={Boundary}", "invalid_multipart" },
        { Part("model", "sora-2") + Part("prompt", "p") + Part("quality", "high") + $"--{Boundary}--\r\n", $"multipart/form-data; boundary={Boundary}", "unknown_parameter" },
        { Part("model", "grok-video-3") + Part("prompt", "p") + Part("resolution", "720P") + $"--{Boundary}--\r\n", $"multipart/form-data; boundary={Boundary}", "unknown_parameter" },
        { Part("model", "sora-2") + Part("prompt", "p") + Part("prompt", "q") + $"--{Boundary}--\r\n", $"multipart/form-data; boundary={Boundary}", "duplicate_parameter" },
        { Part("model", "sora-2") + $"--{Boundary}--\r\n", $"multipart/form-data; boundary={Boundary}", "missing_field" },
        { Part("model", "grok-video-9") + Part("prompt", "p") + $"--{Boundary}--\r\n", $"multipart/form-data; boundary={Boundary}", "model_not_found" },
        { Part("prompt", "p") + Part("input_reference[file_id]", "file_123") + $"--{Boundary}--\r\n", $"multipart/form-data; boundary={Boundary}", "file_id_not_supported" },
    };

    [Theory]
    [MemberData(nameof(RawCases))]
    public async Task Malformed_multipart_creates_get_a_400(string body, string contentType, string code)
    {
        var (client, accountId) = await NewUserAsync();
        var error = await Api.ErrorAsync(await client.PostAsync("/v1/videos", Raw(body, contentType), Ct), HttpStatusCode.BadRequest);
        Assert.Equal(code, error.GetProperty("code").GetString());
        await AssertNothingCreatedAsync(accountId);
    }

    [Theory]
    [InlineData("sora-2", "input_reference")]
    [InlineData("grok-video-3", "input_reference")]
    public async Task A_file_part_that_is_not_an_image_is_refused(string model, string param)
    {
        var (client, accountId) = await NewUserAsync();
        using var form = Form(model, ("input_reference", Encoding.UTF8.GetBytes("%PDF-1.7 not an image"), "image/png"));
        var error = await Api.ErrorAsync(await client.PostAsync("/v1/videos", form, Ct), HttpStatusCode.BadRequest);
        Assert.Equal(("invalid_image", param), (error.GetProperty("code").GetString(), error.GetProperty("param").GetString()));
        await AssertNothingCreatedAsync(accountId);
    }

    [Fact]
    public async Task A_file_part_over_the_image_limit_is_a_400_and_a_body_over_the_request_limit_a_413()
    {
        var (client, accountId) = await NewUserAsync();
        var png = await TestImages.BytesAsync("png");
        var oversized = png.Concat(new byte[2 * 1024 * 1024]).ToArray();
        using var form = Form("sora-2", ("input_reference", oversized, "image/png"));
        var error = await Api.ErrorAsync(await client.PostAsync("/v1/videos", form, Ct), HttpStatusCode.BadRequest);
        Assert.Equal("image_too_large", error.GetProperty("code").GetString());

        using var huge = Form("grok-video-3", ("input_reference", new byte[5 * 1024 * 1024], "image/png"));
        error = await Api.ErrorAsync(await client.PostAsync("/v1/videos", huge, Ct), HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal("request_too_large", error.GetProperty("code").GetString());
        await AssertNothingCreatedAsync(accountId);
    }

    [Fact]
    public async Task Too_many_images_and_remote_urls_are_refused_clearly()
    {
        var (client, accountId) = await NewUserAsync();
        var png = await TestImages.BytesAsync("png");
        using var two = Form("sora-2", ("input_reference", png, "image/png"), ("input_reference", png, "image/png"));
        Assert.Equal("too_many_images", (await Api.ErrorAsync(await client.PostAsync("/v1/videos", two, Ct), HttpStatusCode.BadRequest)).GetProperty("code").GetString());

        using var url = Form("sora-2");
        // URLs are fetched through the SSRF guard: a cloud metadata address is refused before any connection.
        url.Add(new StringContent("https://169.254.169.254/latest/cat.png"), "input_reference[image_url]");
        var error = await Api.ErrorAsync(await client.PostAsync("/v1/videos", url, Ct), HttpStatusCode.BadRequest);
        Assert.Equal(("image_url_refused", "input_reference[image_url]"), (error.GetProperty("code").GetString(), error.GetProperty("param").GetString()));
        Assert.Contains("not public", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        await AssertNothingCreatedAsync(accountId);
    }

    [Fact]
    public async Task Remix_and_xai_routes_refuse_bad_bodies_with_4xx()
    {
        var (client, _) = await NewUserAsync();
        await Api.ErrorAsync(await client.PostAsync("/v1/videos/video_x/remix", Raw("garbage", "multipart/form-data"), Ct), HttpStatusCode.BadRequest);
        await Api.ErrorAsync(await client.PostAsync("/v1/videos/video_x/remix", Raw(Part("prompt", "p") + Part("seconds", "4") + $"--{Boundary}--\r\n"), Ct), HttpStatusCode.BadRequest);
        await Api.ErrorAsync(await client.PostJsonAsync("/v1/videos/video_x/remix", "{\"prompt\":"), HttpStatusCode.BadRequest);
        await Api.ErrorAsync(await client.PostJsonAsync("/v1/videos/video_x/remix", """{"prompt":"fine"}"""), HttpStatusCode.NotFound);
        await Api.ErrorAsync(await client.PostAsync("/v1/videos/generations", Raw(Part("prompt", "p") + $"--{Boundary}--\r\n"), Ct), HttpStatusCode.UnsupportedMediaType);
        await Api.ErrorAsync(await client.PostJsonAsync("/v1/videos/generations", "[1,2]"), HttpStatusCode.BadRequest);
        await Api.ErrorAsync(await client.PostJsonAsync("/v1/videos/generations", """{"prompt":"p","resolution":"1080p"}"""), HttpStatusCode.BadRequest);
        await Api.ErrorAsync(await client.PostJsonAsync("/v1/videos/generations", """{"prompt":"p","image":{"url":"https://example.com/a.png"}}"""), HttpStatusCode.BadRequest);
        await Api.ErrorAsync(await client.PostJsonAsync("/v1/videos/generations", """{"prompt":"p","image":{"url":"data:image/png;base64,AAAA"},"reference_images":[]}"""), HttpStatusCode.BadRequest);
        await Api.ErrorAsync(await client.GetAsync("/v1/videos?limit=0", Ct), HttpStatusCode.BadRequest);
        await Api.ErrorAsync(await client.GetAsync("/v1/videos?limit=abc", Ct), HttpStatusCode.BadRequest);
        await Api.ErrorAsync(await client.GetAsync("/v1/videos?order=sideways", Ct), HttpStatusCode.BadRequest);
    }

    private static MultipartFormDataContent Form(string model, params (string Name, byte[] Bytes, string Type)[] files)
    {
        var form = new MultipartFormDataContent { { new StringContent(model), "model" }, { new StringContent("a prompt"), "prompt" } };
        foreach (var (name, bytes, type) in files)
        {
            var part = new ByteArrayContent(bytes);
            part.Headers.ContentType = new MediaTypeHeaderValue(type);
            form.Add(part, name, "upload.bin");
        }

        return form;
    }

    private async Task<(HttpClient Client, string AccountId)> NewUserAsync()
    {
        using var admin = _app.Admin();
        var created = await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/keys", new { name = "multipart" }, Ct));
        return (_app.Client(created.GetProperty("key").GetString()), created.GetProperty("account_id").GetString()!);
    }

    private async Task AssertNothingCreatedAsync(string accountId)
    {
        Assert.Empty(await _app.Service<ITaskStore>().ListAsync(accountId, null, 10, true, Ct));
        using var anonymous = _app.Client(key: null);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/healthz", Ct)).StatusCode);
    }
}
