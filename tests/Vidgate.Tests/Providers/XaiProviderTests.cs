using System.Net;
using System.Text.Json;
using Vidgate.Fakes;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Providers;

/// <summary>The xai provider type end to end: the real server, real SQLite and ffmpeg, the fake xAI on loopback.</summary>
[Collection(UpstreamCollection.Name)]
public sealed class XaiProviderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static object Body(string prompt, string seconds = "2", object? image = null) => image is null
        ? new { model = "grok-imagine-video", prompt, seconds, aspect_ratio = "16:9", resolution = "480P" }
        : new { model = "grok-imagine-video", prompt, seconds, aspect_ratio = "16:9", resolution = "480P", image };

    [Fact]
    public async Task The_seed_body_is_generated_on_xai_and_served_as_our_own_video()
    {
        await using var h = await XaiHarness.StartAsync();
        h.Fake.Options.MinJob = h.Fake.Options.MaxJob = TimeSpan.FromSeconds(1.5);
        using var user = await h.App.NewUserAsync();

        var created = await Api.OkJsonAsync(await user.PostJsonAsync("/v1/videos", Api.SeedBody));
        var id = created.GetProperty("id").GetString()!;
        var done = await user.WaitForAsync(id, "completed", TimeSpan.FromSeconds(30));

        // What xAI received: its own wire format, JSON, lower-case resolution, integer duration.
        var sent = XaiHarness.LastRequest(h.Fake);
        Assert.Equal("grok-imagine-video", sent.GetProperty("model").GetString());
        Assert.Equal(8, sent.GetProperty("duration").GetInt32());
        Assert.Equal("16:9", sent.GetProperty("aspect_ratio").GetString());
        Assert.Equal("720p", sent.GetProperty("resolution").GetString());
        Assert.StartsWith("A city street", sent.GetProperty("prompt").GetString());
        Assert.False(sent.TryGetProperty("image", out _));

        // The result is ours: our signed URL, bytes from our storage, a real H.264 video.
        var url = done.GetProperty("video_url").GetString()!;
        Assert.DoesNotContain(h.Fake.BaseUrl.Authority, url);
        var bytes = await user.GetByteArrayAsync($"/v1/videos/{id}/content", Ct);
        var probe = await Ffprobe.ProbeAsync(bytes, Ct);
        Assert.Equal("h264", probe.CodecName);
        Assert.True(probe.Frames > 0);

        // Previews follow the completion.
        await WaitForContentAsync(user, id, "thumbnail", "image/webp");
        await WaitForContentAsync(user, id, "spritesheet", "image/jpeg");
    }

    [Fact]
    public async Task An_image_to_video_request_sends_the_image_as_a_data_uri()
    {
        await using var h = await XaiHarness.StartAsync();
        using var user = await h.App.NewUserAsync();

        var created = await user.CreateAsync(Body("the picture comes alive", image: await TestImages.DataUriAsync("png", 64, 48)));
        await user.WaitForAsync(created.GetProperty("id").GetString()!, "completed", TimeSpan.FromSeconds(30));

        var sent = XaiHarness.LastRequest(h.Fake);
        Assert.StartsWith("data:image/png;base64,", sent.GetProperty("image").GetProperty("url").GetString());
        Assert.Equal("480p", sent.GetProperty("resolution").GetString());
        Assert.Equal(2, sent.GetProperty("duration").GetInt32());
        Assert.False(sent.TryGetProperty("reference_images", out _));
    }

    [Fact]
    public async Task Several_images_go_as_reference_images()
    {
        await using var h = await XaiHarness.StartAsync();
        using var user = await h.App.NewUserAsync();

        var created = await user.CreateAsync(new
        {
            model = "grok-imagine-video",
            prompt = "<IMAGE_0> meets <IMAGE_1>",
            seconds = "2",
            resolution = "480P",
            images = new[] { await TestImages.DataUriAsync("png", 32, 32), await TestImages.DataUriAsync("png", 40, 40) },
        });
        await user.WaitForAsync(created.GetProperty("id").GetString()!, "completed", TimeSpan.FromSeconds(30));

        var references = XaiHarness.LastRequest(h.Fake).GetProperty("reference_images");
        Assert.Equal(2, references.GetArrayLength());
        Assert.All(references.EnumerateArray(), r => Assert.StartsWith("data:image/png;base64,", r.GetProperty("url").GetString()));
    }

    [Theory]
    [InlineData("[fake:moderation]", "moderation_blocked")]
    [InlineData("[fake:failed]", "upstream_failed")]
    [InlineData("[fake:expired]", "upstream_expired")]
    [InlineData("[fake:result-404]", "upstream_result_unavailable")]
    [InlineData("[fake:not-video]", "upstream_result_invalid")]
    public async Task An_upstream_failure_fails_the_task_with_a_clear_code(string marker, string code)
    {
        await using var h = await XaiHarness.StartAsync();
        using var user = await h.App.NewUserAsync();

        var created = await user.CreateAsync(Body("a quiet lake " + marker));
        var failed = await user.WaitForAsync(created.GetProperty("id").GetString()!, "failed", TimeSpan.FromSeconds(30));

        var error = failed.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.DoesNotContain(h.Fake.BaseUrl.Authority, error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_moderation_failure_reads_failed_in_the_openai_dialect_too()
    {
        await using var h = await XaiHarness.StartAsync();
        using var user = await h.App.NewUserAsync();
        using var form = new MultipartFormDataContent
        {
            { new StringContent("grok-imagine-video"), "model" },
            { new StringContent("something [fake:moderation]"), "prompt" },
            { new StringContent("4"), "seconds" },
        };
        var created = await Api.OkJsonAsync(await user.PostAsync("/v1/videos", form, Ct));
        var id = created.GetProperty("id").GetString()!;

        JsonElement video;
        do
        {
            await Task.Delay(100, Ct);
            video = await user.GetVideoAsync(id);
            Assert.Contains(video.GetProperty("status").GetString(), new[] { "queued", "in_progress", "failed" });
        }
        while (video.GetProperty("status").GetString() != "failed");

        Assert.Equal("moderation_blocked", video.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Unknown_upstream_status_words_keep_polling_and_never_reach_clients()
    {
        await using var h = await XaiHarness.StartAsync();
        using var user = await h.App.NewUserAsync();
        using var form = new MultipartFormDataContent
        {
            { new StringContent("grok-imagine-video"), "model" },
            { new StringContent("odd words [fake:odd-status] [fake:seconds=2]"), "prompt" },
            { new StringContent("4"), "seconds" },
        };
        var id = (await Api.OkJsonAsync(await user.PostAsync("/v1/videos", form, Ct))).GetProperty("id").GetString()!;

        string status;
        do
        {
            await Task.Delay(100, Ct);
            status = (await user.GetVideoAsync(id)).GetProperty("status").GetString()!;
            Assert.Contains(status, new[] { "queued", "in_progress", "completed" });
        }
        while (status != "completed");

        Assert.True(h.Fake.Polls >= 3);
    }

    [Fact]
    public async Task Transient_poll_errors_never_fail_a_task()
    {
        await using var h = await XaiHarness.StartAsync();
        h.Fake.Options.RetryAfter = TimeSpan.FromSeconds(1);
        h.Fake.FailNextPolls(FakeFault.ServerError, 2);
        h.Fake.FailNextPolls(FakeFault.Malformed, 2);
        h.Fake.FailNextPolls(FakeFault.Reset, 2);
        h.Fake.FailNextPolls(FakeFault.RateLimited);
        using var user = await h.App.NewUserAsync();

        var created = await user.CreateAsync(Body("steady rain [fake:seconds=1]"));
        await user.WaitForAsync(created.GetProperty("id").GetString()!, "completed", TimeSpan.FromSeconds(40));
        Assert.True(h.Fake.Polls >= 8, $"expected the faults to be polled through, saw {h.Fake.Polls} polls");
    }

    [Fact]
    public async Task An_upstream_that_outlives_the_deadline_fails_the_task()
    {
        await using var h = await XaiHarness.StartAsync(settings: new() { ["Vidgate:Upstreams:Deadline"] = "00:00:03" });
        using var user = await h.App.NewUserAsync();

        var created = await user.CreateAsync(Body("a very long take [fake:seconds=60]"));
        var failed = await user.WaitForAsync(created.GetProperty("id").GetString()!, "failed", TimeSpan.FromSeconds(30));
        Assert.Equal("upstream_timeout", failed.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Clients_see_processing_while_the_upstream_works_and_progress_never_goes_down()
    {
        await using var h = await XaiHarness.StartAsync();
        using var user = await h.App.NewUserAsync();

        var created = await user.CreateAsync(Body("slow clouds [fake:seconds=3]"));
        var id = created.GetProperty("id").GetString()!;
        var seen = new HashSet<string>();
        var last = 0;
        while (true)
        {
            var video = await user.GetVideoAsync(id);
            var status = video.GetProperty("status").GetString()!;
            seen.Add(status);
            var progress = video.GetProperty("progress").GetInt32();
            Assert.True(progress >= last, $"progress went from {last} to {progress}");
            last = progress;
            if (status == "completed")
            {
                break;
            }

            await Task.Delay(50, Ct);
        }

        Assert.Subset(new HashSet<string> { "queued", "processing", "completed" }, seen);
        Assert.Contains("processing", seen);
    }

    private static async Task WaitForContentAsync(HttpClient user, string id, string variant, string mediaType)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            using var response = await user.GetAsync($"/v1/videos/{id}/content?variant={variant}", Ct);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
                Assert.True((await response.Content.ReadAsByteArrayAsync(Ct)).Length > 100);
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{variant} of {id} not available: {(int)response.StatusCode}");
            await Task.Delay(100, Ct);
        }
    }
}
