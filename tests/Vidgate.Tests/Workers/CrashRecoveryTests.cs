using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Workers;

/// <summary>kill -9 mid-render: every accepted task survives, the interrupted render re-runs, nothing is lost.</summary>
public sealed class CrashRecoveryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Short lease and sweep so the dead process's lease lapses within seconds instead of the default 30.
    private static readonly string[] FastRecovery = ["--Vidgate:LeaseDuration=00:00:03", "--Vidgate:SweepInterval=00:00:01", "--Vidgate:ProgressInterval=00:00:00.100"];

    [Fact]
    public async Task After_kill_9_mid_render_every_accepted_task_is_still_there_and_completes()
    {
        var dataDir = Directory.CreateTempSubdirectory("vidgate-crash-").FullName;
        var port = ServerProcess.FreePort();
        string key;
        var accepted = new List<string>();
        string interrupted;

        await using (var server = await ServerProcess.StartAsync(dataDir, port, FastRecovery))
        {
            using var admin = server.Client(VidgateApp.AdminKey);
            var keyResponse = await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/keys", new { name = "crash" }, Ct));
            key = keyResponse.GetProperty("key").GetString()!;
            using var client = server.Client(key);

            var first = await client.CreateAsync(new { model = "grok-imagine-video", prompt = "a long push in", seconds = 15, resolution = "720P" });
            interrupted = first.GetProperty("id").GetString()!;
            accepted.Add(interrupted);
            for (var i = 0; i < 4; i++)
            {
                accepted.Add((await client.CreateAsync(new { model = "grok-imagine-video", prompt = $"queued {i}", seconds = 1, resolution = "480P" })).GetProperty("id").GetString()!);
            }

            var deadline = DateTime.UtcNow.AddSeconds(60);
            while ((await client.GetVideoAsync(interrupted)).GetProperty("progress").GetInt32() == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "the render never started");
                await Task.Delay(50, Ct);
            }

            Assert.Equal("processing", (await client.GetVideoAsync(interrupted)).GetProperty("status").GetString());
            await server.KillAsync();
        }

        // The killed server's ffmpeg is an orphan now; a real crash would leave it too. Stop it so it cannot interfere.
        foreach (var pid in Processes.WithCommandLineContaining(interrupted))
        {
            try
            {
                System.Diagnostics.Process.GetProcessById(pid).Kill();
            }
            catch (ArgumentException)
            {
            }
        }

        await using (var restarted = await ServerProcess.StartAsync(dataDir, port, FastRecovery))
        {
            using var client = restarted.Client(key);
            foreach (var id in accepted)
            {
                var done = await client.WaitForAsync(id, "completed", TimeSpan.FromMinutes(2));
                Assert.Equal(100, done.GetProperty("progress").GetInt32());
            }

            var probe = await Ffprobe.ProbeAsync(await client.GetByteArrayAsync($"/v1/videos/{interrupted}/content", Ct), Ct);
            Assert.Equal((1280, 720, 360), (probe.Width, probe.Height, probe.Frames));
            Assert.Contains("Re-queued 1 task(s)", restarted.Output, StringComparison.Ordinal);
        }

        Directory.Delete(dataDir, recursive: true);
    }

    /// <summary>
    /// A node killed after it stored a render but before it completed the task: the re-run finds the stored result and
    /// completes the task with it instead of rendering and storing it a second time (found by ./vidgate proof crash).
    /// </summary>
    [Fact]
    public async Task A_render_stored_before_the_kill_completes_the_task_after_the_restart_without_being_made_again()
    {
        var dataDir = Directory.CreateTempSubdirectory("vidgate-crash-").FullName;
        var port = ServerProcess.FreePort();
        string key, id;
        await using (var server = await ServerProcess.StartAsync(dataDir, port, FastRecovery))
        {
            using var admin = server.Client(VidgateApp.AdminKey);
            key = (await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/keys", new { name = "crash" }, Ct))).GetProperty("key").GetString()!;
            using var client = server.Client(key);
            id = (await client.CreateAsync(new { model = "grok-imagine-video", prompt = "a long push in", seconds = 15, resolution = "720P" })).GetProperty("id").GetString()!;
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while ((await client.GetVideoAsync(id)).GetProperty("progress").GetInt32() == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "the render never started");
                await Task.Delay(50, Ct);
            }

            await server.KillAsync();
        }

        foreach (var pid in Processes.WithCommandLineContaining(id))
        {
            try
            {
                System.Diagnostics.Process.GetProcessById(pid).Kill();
            }
            catch (ArgumentException)
            {
            }
        }

        // What the killed node had stored before it could complete the task (a finished render is stored video last).
        var stored = Vidgate.Fakes.FakeMedia.SmallMp4;
        var folder = Path.Combine(dataDir, "blobs", "videos", id);
        Directory.CreateDirectory(folder);
        await File.WriteAllBytesAsync(Path.Combine(folder, "thumbnail.webp"), [1, 2, 3], Ct);
        await File.WriteAllBytesAsync(Path.Combine(folder, "spritesheet.jpg"), [1, 2, 3], Ct);
        await File.WriteAllBytesAsync(Path.Combine(folder, "video.mp4"), stored, Ct);

        await using (var restarted = await ServerProcess.StartAsync(dataDir, port, FastRecovery))
        {
            using var client = restarted.Client(key);
            await client.WaitForAsync(id, "completed", TimeSpan.FromMinutes(1));
            Assert.Equal(stored, await client.GetByteArrayAsync($"/v1/videos/{id}/content", Ct));
        }

        Directory.Delete(dataDir, recursive: true);
    }

    [Fact]
    public async Task Kestrel_refuses_an_oversized_chunked_body_with_a_413_in_the_error_shape()
    {
        var dataDir = Directory.CreateTempSubdirectory("vidgate-limits-").FullName;
        await using (var server = await ServerProcess.StartAsync(dataDir, null, "--Vidgate:MaxRequestBodyBytes=1048576", "--Vidgate:Workers=false"))
        {
            using var client = server.Client(VidgateApp.AdminKey);
            var body = new string('x', 2 * 1024 * 1024);
            using var content = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes($$"""{"model":"grok-imagine-video","prompt":"{{body}}"}""")));
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/videos") { Content = content };
            request.Headers.TransferEncodingChunked = true;
            var response = await client.SendAsync(request, Ct);
            var error = await Api.ErrorAsync(response, HttpStatusCode.RequestEntityTooLarge);
            Assert.Equal("request_too_large", error.GetProperty("code").GetString());

            var health = await client.GetFromJsonAsync<JsonElement>("/readyz", Ct);
            Assert.Equal("off", health.GetProperty("checks").GetProperty("workers").GetString());
        }

        Directory.Delete(dataDir, recursive: true);
    }
}
