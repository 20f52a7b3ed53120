using System.Net;
using System.Text.Json;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Videos;

/// <summary>Cancel, delete, restart and ownership: what happens to a task between create and completion.</summary>
public sealed class LifecycleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> WaitForProgressAsync(HttpClient client, string id)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var video = await client.GetVideoAsync(id);
            if (video.GetProperty("status").GetString() == "processing" && video.GetProperty("progress").GetInt32() > 0)
            {
                return video;
            }

            Assert.True(video.GetProperty("status").GetString() is "queued" or "processing", "the render ended before it showed progress: " + video);
            Assert.True(DateTime.UtcNow < deadline, "the render never showed progress: " + video);
            await Task.Delay(50, Ct);
        }
    }

    [Fact]
    public async Task Cancel_mid_render_stops_ffmpeg_at_once_and_the_task_never_completes()
    {
        using var app = new VidgateApp();
        using var client = await app.NewUserAsync();
        var created = await client.CreateAsync(new { model = "grok-imagine-video", prompt = "a long slow push in", seconds = 15, resolution = "720P" });
        var id = created.GetProperty("id").GetString()!;
        await WaitForProgressAsync(client, id);
        Assert.NotEmpty(Processes.WithCommandLineContaining(id));

        var cancelled = await Api.OkJsonAsync(await client.PostAsync($"/v1/videos/{id}/cancel", null, Ct));
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        Assert.Equal("cancelled", cancelled.GetProperty("error").GetProperty("code").GetString());

        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (Processes.WithCommandLineContaining(id).Count > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "ffmpeg is still running after the cancel");
            await Task.Delay(50, Ct);
        }

        // Long enough for a render that ignored the cancel to have finished its 15 s clip at the preset's speed.
        await Task.Delay(TimeSpan.FromSeconds(3), Ct);
        var later = await client.GetVideoAsync(id);
        Assert.Equal("cancelled", later.GetProperty("status").GetString());
        Assert.Equal("", later.GetProperty("video_url").GetString());
        var error = await Api.ErrorAsync(await client.GetAsync($"/v1/videos/{id}/content", Ct), HttpStatusCode.NotFound);
        Assert.Equal("video_not_ready", error.GetProperty("code").GetString());
        Assert.False(Directory.Exists(Path.Combine(app.DataDir, "blobs", "videos", id)));

        // Cancelling again is a conflict, not a second transition.
        var again = await Api.ErrorAsync(await client.PostAsync($"/v1/videos/{id}/cancel", null, Ct), HttpStatusCode.Conflict);
        Assert.Equal("video_already_finished", again.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_queued_task_can_be_cancelled_before_it_starts()
    {
        using var app = new VidgateApp(settings: new() { ["Vidgate:Workers"] = "false" });
        using var client = await app.NewUserAsync();
        var created = await client.CreateAsync(new { model = "grok-imagine-video", prompt = "never rendered" });
        var id = created.GetProperty("id").GetString()!;
        var cancelled = await Api.OkJsonAsync(await client.PostAsync($"/v1/videos/{id}/cancel", null, Ct));
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        Assert.Equal(0, cancelled.GetProperty("progress").GetInt32());
    }

    [Fact]
    public async Task Delete_of_a_finished_video_removes_record_and_content_and_of_an_unfinished_one_cancels_it()
    {
        using var app = new VidgateApp();
        using var client = await app.NewUserAsync();
        var created = await client.CreateAsync(new { model = "grok-imagine-video", prompt = "delete me", seconds = 1, resolution = "480P" });
        var id = created.GetProperty("id").GetString()!;
        await client.WaitForAsync(id, "completed");
        Assert.True(File.Exists(Path.Combine(app.DataDir, "blobs", "videos", id, "video.mp4")));

        var deleted = await Api.OkJsonAsync(await client.DeleteAsync($"/v1/videos/{id}", Ct));
        Assert.Equal(id, deleted.GetProperty("id").GetString());
        Assert.Equal("video.deleted", deleted.GetProperty("object").GetString());
        Assert.True(deleted.GetProperty("deleted").GetBoolean());
        Assert.False(Directory.Exists(Path.Combine(app.DataDir, "blobs", "videos", id)));
        await Api.ErrorAsync(await client.GetAsync($"/v1/videos/{id}", Ct), HttpStatusCode.NotFound);
        await Api.ErrorAsync(await client.DeleteAsync($"/v1/videos/{id}", Ct), HttpStatusCode.NotFound);

        var running = await client.CreateAsync(new { model = "grok-imagine-video", prompt = "long", seconds = 15, resolution = "720P" });
        var runningId = running.GetProperty("id").GetString()!;
        await WaitForProgressAsync(client, runningId);
        await Api.OkJsonAsync(await client.DeleteAsync($"/v1/videos/{runningId}", Ct));
        await Api.ErrorAsync(await client.GetAsync($"/v1/videos/{runningId}", Ct), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_render_interrupted_by_shutdown_is_rerun_after_restart_and_completes()
    {
        var dataDir = Directory.CreateTempSubdirectory("vidgate-restart-").FullName;
        string id;
        string key;
        // A short lease: should the hand-back on shutdown not happen, recovery must still come within seconds.
        Dictionary<string, string?> fastRecovery = new() { ["Vidgate:LeaseDuration"] = "00:00:03", ["Vidgate:SweepInterval"] = "00:00:01" };
        using (var first = new VidgateApp(dataDir, settings: fastRecovery))
        {
            using var admin = first.Admin();
            var keyResponse = await Api.OkJsonAsync(await admin.PostJsonAsync("/admin/keys", """{"name":"restart"}"""));
            key = keyResponse.GetProperty("key").GetString()!;
            using var client = first.Client(key);
            // 15 s at 720p, the longest render, written every 100 ms: an idle machine renders it in under 2 s.
            var created = await client.CreateAsync(new { model = "grok-imagine-video", prompt = "tilt up a tower", seconds = 15, resolution = "720P" });
            id = created.GetProperty("id").GetString()!;
            await WaitForProgressAsync(client, id);
        }

        Assert.Empty(Processes.WithCommandLineContaining(id));
        using (var second = new VidgateApp(dataDir, settings: fastRecovery))
        {
            using var client = second.Client(key);
            var done = await client.WaitForAsync(id, "completed");
            Assert.Equal(100, done.GetProperty("progress").GetInt32());
            var probe = await Ffprobe.ProbeAsync(await client.GetByteArrayAsync($"/v1/videos/{id}/content", Ct), Ct);
            Assert.Equal(360, probe.Frames);
        }

        Directory.Delete(dataDir, recursive: true);
    }

    [Fact]
    public async Task Another_key_sees_404_for_someone_elses_task_content_cancel_and_delete()
    {
        using var app = new VidgateApp(settings: new() { ["Vidgate:Workers"] = "false" });
        using var alice = await app.NewUserAsync("alice");
        using var bob = await app.NewUserAsync("bob");
        var created = await alice.CreateAsync(new { model = "grok-imagine-video", prompt = "alice's video" });
        var id = created.GetProperty("id").GetString()!;

        foreach (var response in new[]
        {
            await bob.GetAsync($"/v1/videos/{id}", Ct),
            await bob.GetAsync($"/v1/videos/{id}/content", Ct),
            await bob.PostAsync($"/v1/videos/{id}/cancel", null, Ct),
            await bob.DeleteAsync($"/v1/videos/{id}", Ct),
        })
        {
            var error = await Api.ErrorAsync(response, HttpStatusCode.NotFound);
            Assert.Equal("video_not_found", error.GetProperty("code").GetString());
        }

        var mine = await alice.GetVideoAsync(id);
        Assert.Equal("queued", mine.GetProperty("status").GetString());
    }
}
