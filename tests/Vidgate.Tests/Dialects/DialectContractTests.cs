using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Dialects;

/// <summary>Which dialect a create is read in, and that every read renders the task in the dialect it was created in.</summary>
public sealed class DialectContractTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private readonly VidgateApp _app = fixture.App;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string[] OpenAiFields =
        ["id", "object", "model", "status", "progress", "created_at", "completed_at", "expires_at", "prompt", "size", "seconds", "remixed_from_video_id", "error", "video_url"];

    [Theory]
    [InlineData("""{"model":"sora-2","prompt":"p","seconds":"4","size":"1280x720"}""", "openai", "1280x720")]
    [InlineData("""{"prompt":"p","size":"1280x720","model":"grok-imagine-video"}""", "openai", "1280x720")]
    [InlineData("""{"model":"sora-2-pro","prompt":"p","seconds":"8"}""", "openai", "720x1280")]
    [InlineData("""{"model":"grok-imagine-video","prompt":"p","seconds":"1","aspect_ratio":"16:9","resolution":"480P"}""", "seed", "480P")]
    [InlineData("""{"model":"grok-imagine-video","prompt":"p","seconds":1}""", "seed", "720P")]
    [InlineData("""{"model":"sora-2","prompt":"p","seconds":"4","aspect_ratio":"9:16","resolution":"720P"}""", "seed", "720P")]
    public async Task Json_bodies_are_read_in_the_dialect_the_detection_rule_names(string body, string dialect, string size)
    {
        using var client = await _app.NewUserAsync();
        var created = await Api.OkJsonAsync(await client.PostJsonAsync("/v1/videos", body));
        Assert.Equal(size, created.GetProperty("size").GetString());
        if (dialect == "openai")
        {
            Assert.All(OpenAiFields, field => Assert.True(created.TryGetProperty(field, out _), field));
            Assert.Equal(JsonValueKind.Null, created.GetProperty("video_url").ValueKind);
            Assert.False(created.TryGetProperty("aspect_ratio", out _));
        }
        else
        {
            Assert.Equal("", created.GetProperty("video_url").GetString());
            Assert.True(created.TryGetProperty("aspect_ratio", out _));
        }

        await client.DeleteAsync($"/v1/videos/{created.GetProperty("id").GetString()}", Ct);
    }

    [Fact]
    public async Task An_openai_task_reads_in_progress_completed_with_a_poll_hint_and_a_cancelled_one_reads_failed()
    {
        using var client = await _app.NewUserAsync();
        using var form = new MultipartFormDataContent { { new StringContent("a quiet field"), "prompt" }, { new StringContent("4"), "seconds" } };
        var created = await Api.OkJsonAsync(await client.PostAsync("/v1/videos", form, Ct));
        Assert.Equal("sora-2", created.GetProperty("model").GetString());
        Assert.Equal("720x1280", created.GetProperty("size").GetString());
        Assert.Equal("a quiet field", created.GetProperty("prompt").GetString());
        var id = created.GetProperty("id").GetString()!;

        var response = await client.GetAsync($"/v1/videos/{id}", Ct);
        var video = await Api.OkJsonAsync(response);
        Assert.Contains(video.GetProperty("status").GetString(), (string[])["queued", "in_progress", "completed"]);
        if (video.GetProperty("status").GetString() != "completed")
        {
            Assert.True(response.Headers.Contains("openai-poll-after-ms"));
        }

        var cancelled = await Api.OkJsonAsync(await client.PostAsync($"/v1/videos/{id}/cancel", null, Ct));
        Assert.Equal("failed", cancelled.GetProperty("status").GetString());
        Assert.Equal("cancelled", cancelled.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("failed", (await client.GetVideoAsync(id)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Legacy_max_tier_forces_15_seconds_and_1080P_is_1920x1080_in_the_seed_shape()
    {
        using var client = await _app.NewUserAsync();
        using var form = new MultipartFormDataContent
        {
            { new StringContent("grok-video-1.5-max"), "model" }, { new StringContent("a mountain road"), "prompt" },
            { new StringContent("3"), "seconds" }, { new StringContent("1080P"), "size" }, { new StringContent("16:9"), "aspect_ratio" },
        };
        var created = await Api.OkJsonAsync(await client.PostAsync("/v1/videos", form, Ct));
        Assert.Equal(("15", "1080P", "16:9"), (created.GetProperty("seconds").GetString(), created.GetProperty("size").GetString(), created.GetProperty("aspect_ratio").GetString()));
        Assert.Equal("queued", created.GetProperty("status").GetString());
        var id = created.GetProperty("id").GetString()!;
        await Api.OkJsonAsync(await client.PostAsync($"/v1/videos/{id}/cancel", null, Ct));
        Assert.Equal("cancelled", (await client.GetVideoAsync(id)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task An_xai_task_answers_request_id_then_pending_then_done_with_a_url_that_needs_no_key()
    {
        using var client = await _app.NewUserAsync();
        var created = await Api.OkJsonAsync(await client.PostJsonAsync("/v1/videos/generations",
            """{"model":"grok-imagine-video","prompt":"a kite, moving forward","duration":1,"aspect_ratio":"1:1","resolution":"480p","user":"u1"}"""));
        Assert.Equal(["request_id"], created.EnumerateObject().Select(p => p.Name));
        var id = created.GetProperty("request_id").GetString()!;

        JsonElement status;
        var deadline = DateTime.UtcNow.AddSeconds(90);
        do
        {
            status = await client.GetVideoAsync(id);
            Assert.Contains(status.GetProperty("status").GetString(), (string[])["pending", "done"]);
            if (status.GetProperty("status").GetString() == "pending")
            {
                Assert.Equal(JsonValueKind.Null, status.GetProperty("video").ValueKind);
                await Task.Delay(100, Ct);
            }
        }
        while (status.GetProperty("status").GetString() != "done" && DateTime.UtcNow < deadline);

        Assert.Equal("done", status.GetProperty("status").GetString());
        Assert.Equal(100, status.GetProperty("progress").GetInt32());
        Assert.Equal("grok-imagine-video", status.GetProperty("model").GetString());
        var video = status.GetProperty("video");
        Assert.Equal(1, video.GetProperty("duration").GetInt32());
        Assert.True(video.GetProperty("respect_moderation").GetBoolean());

        using var anonymous = _app.Client(key: null);
        var probe = await Ffprobe.ProbeAsync(await anonymous.GetByteArrayAsync(new Uri(video.GetProperty("url").GetString()!).PathAndQuery, Ct), Ct);
        Assert.Equal(("h264", 480, 480, 24), (probe.CodecName, probe.Width, probe.Height, probe.Frames));
    }

    [Fact]
    public async Task List_shows_only_own_videos_in_the_openai_shape_and_remix_of_a_foreign_video_is_a_404()
    {
        using var alice = await _app.NewUserAsync("alice");
        using var bob = await _app.NewUserAsync("bob");
        var seed = await alice.CreateAsync(new { model = "grok-imagine-video", prompt = "seed task", seconds = 1, resolution = "480P" });
        var xai = await Api.OkJsonAsync(await alice.PostJsonAsync("/v1/videos/generations", """{"prompt":"xai task","duration":1,"resolution":"480p"}"""));
        await bob.CreateAsync(new { model = "grok-imagine-video", prompt = "bob's", seconds = 1, resolution = "480P" });

        var list = await Api.OkJsonAsync(await alice.GetAsync("/v1/videos?limit=1", Ct));
        Assert.Equal("list", list.GetProperty("object").GetString());
        Assert.True(list.GetProperty("has_more").GetBoolean());
        var first = list.GetProperty("data")[0];
        Assert.Equal(xai.GetProperty("request_id").GetString(), first.GetProperty("id").GetString());
        Assert.All(OpenAiFields, field => Assert.True(first.TryGetProperty(field, out _), field));
        Assert.Equal(first.GetProperty("id").GetString(), list.GetProperty("last_id").GetString());

        var next = await Api.OkJsonAsync(await alice.GetAsync($"/v1/videos?limit=1&after={list.GetProperty("last_id").GetString()}", Ct));
        Assert.Equal(seed.GetProperty("id").GetString(), next.GetProperty("data")[0].GetProperty("id").GetString());
        Assert.False(next.GetProperty("has_more").GetBoolean());

        var seedId = seed.GetProperty("id").GetString()!;
        await alice.WaitForAsync(seedId, "completed");
        var error = await Api.ErrorAsync(await bob.PostJsonAsync($"/v1/videos/{seedId}/remix", """{"prompt":"mine now"}"""), HttpStatusCode.NotFound);
        Assert.Equal("video_not_found", error.GetProperty("code").GetString());

        // The seed task keeps its own dialect on retrieve; the remix is an OpenAI task pointing at it.
        Assert.Equal("completed", (await alice.GetVideoAsync(seedId)).GetProperty("status").GetString());
        using var multipart = new MultipartFormDataContent { { new StringContent("the same, at night"), "prompt" } };
        var remix = await Api.OkJsonAsync(await alice.PostAsync($"/v1/videos/{seedId}/remix", multipart, Ct));
        Assert.Equal(seedId, remix.GetProperty("remixed_from_video_id").GetString());
        Assert.Equal("854x480", remix.GetProperty("size").GetString());
    }

    [Fact]
    public async Task Models_lists_every_model_with_its_limits_for_a_key_and_refuses_without_one()
    {
        using var client = await _app.NewUserAsync();
        var list = await Api.OkJsonAsync(await client.GetAsync("/v1/models", Ct));
        var models = list.GetProperty("data").EnumerateArray().ToDictionary(m => m.GetProperty("id").GetString()!);
        Assert.Equal(["grok-imagine-video", "grok-video-1.5", "grok-video-1.5-max", "grok-video-1.5-pro", "grok-video-3", "grok-video-3-max", "grok-video-3-pro", "sora-2", "sora-2-pro"], models.Keys.Order(StringComparer.Ordinal));
        var pro = models["grok-video-3-pro"].GetProperty("limits");
        Assert.Equal((10, 10), (pro.GetProperty("min_seconds").GetInt32(), pro.GetProperty("max_seconds").GetInt32()));
        Assert.Equal(["480P", "540P", "720P", "1080P"], pro.GetProperty("resolutions").EnumerateArray().Select(r => r.GetString()));
        var sora = models["sora-2"].GetProperty("limits");
        Assert.Equal(["720x1280", "1280x720"], sora.GetProperty("sizes").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("model", models["sora-2"].GetProperty("object").GetString());

        using var anonymous = _app.Client(key: null);
        await Api.ErrorAsync(await anonymous.GetAsync("/v1/models", Ct), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Content_ignores_the_accept_headers_the_sdks_send()
    {
        using var client = await _app.NewUserAsync();
        var created = await client.CreateAsync(new { model = "grok-imagine-video", prompt = "accept test", seconds = 1, resolution = "480P" });
        var id = created.GetProperty("id").GetString()!;
        await client.WaitForAsync(id, "completed");
        foreach (var accept in new[] { "application/binary", "text/plain, video/mp4, image/webp", "application/json" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/videos/{id}/content");
            request.Headers.Accept.ParseAdd(accept);
            var response = await client.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("video/mp4", response.Content.Headers.ContentType?.MediaType);
        }
    }
}
