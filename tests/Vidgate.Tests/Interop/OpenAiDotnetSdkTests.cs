using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Videos;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Interop;

/// <summary>
/// The OpenAI .NET SDK's <see cref="VideoClient"/> (2.15.0, protocol-level) against a real Vidgate process on
/// loopback, unmodified but for the endpoint and key. It accepts only HTTP 200, so every success here proves that too.
/// </summary>
public sealed class OpenAiDotnetSdkTests : IAsyncLifetime
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("vidgate-dotnet-sdk-").FullName;
    private ServerProcess _server = null!;
    private VideoClient _videos = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _server = await ServerProcess.StartAsync(_dataDir);
        using var admin = _server.Client(VidgateApp.AdminKey);
        var created = await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/keys", new { name = "dotnet-sdk" }, Ct));
        var key = created.GetProperty("key").GetString()!;
        var client = new OpenAIClient(new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(_server.BaseAddress, "/v1") });
        _videos = client.GetVideoClient();
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
            // The OS cleans temp folders; a late write must not fail the test.
        }
    }

    [Fact]
    public async Task Create_multipart_get_until_done_list_download_and_delete()
    {
        // The SDK's own example builds the multipart body by hand; so does this.
        using var form = new MultipartFormDataContent();
        form.Add(new StringContent("sora-2"), "model");
        form.Add(new StringContent("a lighthouse at dusk, slow zoom in"), "prompt");
        form.Add(new StringContent("4"), "seconds");
        form.Add(new StringContent("720x1280"), "size");
        var image = new ByteArrayContent(await TestImages.BytesAsync("png", 360, 640));
        image.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(image, "input_reference", "reference.png");
        using var body = new MemoryStream();
        await form.CopyToAsync(body, Ct);

        var created = Json(await _videos.CreateVideoAsync(BinaryContent.Create(BinaryData.FromBytes(body.ToArray())), form.Headers.ContentType!.ToString()));
        var id = created.GetProperty("id").GetString()!;
        Assert.Equal("video", created.GetProperty("object").GetString());
        Assert.Equal("queued", created.GetProperty("status").GetString());
        Assert.Equal("720x1280", created.GetProperty("size").GetString());
        Assert.Equal(JsonValueKind.Null, created.GetProperty("completed_at").ValueKind);

        JsonElement video;
        var deadline = DateTime.UtcNow.AddMinutes(2);
        do
        {
            await Task.Delay(200, Ct);
            var result = await _videos.GetVideoAsync(id);
            video = Json(result);
            Assert.Contains(video.GetProperty("status").GetString(), (string[])["queued", "in_progress", "completed"]);
            if (video.GetProperty("status").GetString() != "completed")
            {
                Assert.True(result.GetRawResponse().Headers.TryGetValue("openai-poll-after-ms", out _));
            }
        }
        while (video.GetProperty("status").GetString() != "completed" && DateTime.UtcNow < deadline);
        Assert.Equal("completed", video.GetProperty("status").GetString());

        var listed = new List<string>();
        await foreach (var page in _videos.GetVideosAsync(limit: 10, order: "desc", after: null, options: null).GetRawPagesAsync())
        {
            listed.AddRange(Json(page).GetProperty("data").EnumerateArray().Select(v => v.GetProperty("id").GetString()!));
        }

        Assert.Equal([id], listed);

        var mp4 = (await _videos.DownloadVideoAsync(id, "video")).GetRawResponse();
        Assert.Equal("video/mp4", mp4.Headers.TryGetValue("Content-Type", out var type) ? type : null);
        var probe = await Ffprobe.ProbeAsync(mp4.Content.ToArray(), Ct);
        Assert.Equal(("h264", 720, 1280), (probe.CodecName, probe.Width, probe.Height));
        Assert.InRange(probe.Frames, 95, 97);
        Assert.InRange(probe.DurationSeconds, 4 - 1 / 24.0, 4 + 1 / 24.0);

        var thumbnail = (await _videos.DownloadVideoAsync(id, "thumbnail")).GetRawResponse().Content.ToArray();
        Assert.Equal("WEBP"u8.ToArray(), thumbnail[8..12]);

        var deleted = Json(await _videos.DeleteVideoAsync(id));
        Assert.True(deleted.GetProperty("deleted").GetBoolean());
        var missing = await Assert.ThrowsAsync<ClientResultException>(() => _videos.GetVideoAsync(id));
        Assert.Equal(404, missing.Status);
    }

    [Fact]
    public async Task Json_create_and_remix_with_json_work_through_the_protocol_methods()
    {
        var created = Json(await _videos.CreateVideoAsync(
            BinaryContent.Create(BinaryData.FromString("""{"model":"sora-2","prompt":"waves on a beach, pan left","seconds":"4","size":"1280x720"}""")),
            "application/json"));
        var id = created.GetProperty("id").GetString()!;
        Assert.Equal("1280x720", created.GetProperty("size").GetString());

        // A remix of an unfinished video is a 409 the SDK surfaces as an exception (not retried: x-should-retry false).
        var conflict = await Assert.ThrowsAsync<ClientResultException>(() => _videos.CreateVideoRemixAsync(
            id, BinaryContent.Create(BinaryData.FromString("""{"prompt":"again"}""")), "application/json"));
        Assert.Equal(409, conflict.Status);
        await _videos.DeleteVideoAsync(id);
    }

    private static JsonElement Json(ClientResult result)
    {
        var response = result.GetRawResponse();
        Assert.Equal(200, response.Status);
        return JsonDocument.Parse(Encoding.UTF8.GetString(response.Content.ToArray())).RootElement.Clone();
    }
}
