using System.Net.Http.Json;
using System.Text.Json;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Live;

/// <summary>
/// Live progress across nodes: two real Vidgate processes on one PostgreSQL database, node A serving the API only
/// (workers off) and node B rendering. A client streaming (or long-polling) from node A sees node B's progress and the
/// end. Node A re-reads on a timer only every 10 minutes here, so what reaches it can only have come through the
/// change notifications (<c>pg_notify('vidgate_task_changes', id)</c> and node A's LISTEN).
/// </summary>
public sealed class CrossNodeEventsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_client_streaming_from_an_api_node_sees_another_nodes_render_progress_to_completed()
    {
        var database = PostgresServer.Instance.CreateDatabase("live");
        var connectionString = PostgresServer.Instance.ConnectionString(database, maxPoolSize: 10);
        string[] common =
        [
            "--Vidgate:Database:Provider=postgres",
            $"--ConnectionStrings:Vidgate={connectionString}",
            "--Vidgate:ProgressInterval=00:00:00.100",
            "--Vidgate:Live:RecheckInterval=00:10:00",
            "--Providers:Builtin:Preset=ultrafast",
        ];
        var dirs = new[] { Directory.CreateTempSubdirectory("vidgate-live-a-").FullName, Directory.CreateTempSubdirectory("vidgate-live-b-").FullName };
        try
        {
            await using var apiNode = await ServerProcess.StartAsync(dirs[0], null, [.. common, "--Vidgate:Workers=false"]);
            await using var workerNode = await ServerProcess.StartAsync(dirs[1], null, common);

            using var admin = apiNode.Client(VidgateApp.AdminKey);
            var created = await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/keys", new { name = "live" }, Ct));
            var (key, accountId) = (created.GetProperty("key").GetString()!, created.GetProperty("account_id").GetString()!);
            await Api.OkJsonAsync(await admin.PostAsJsonAsync($"/admin/accounts/{accountId}/top-up", new { amount_micros = 1_000_000_000L, reason = "live test" }, Ct));
            using var client = apiNode.Client(key);

            // The longest, largest render (15 s at 720P): the stream opens only once the long-poll below has seen node B at
            // work, and at 10 s 480P the faster renderer sometimes finished with one progress step left to stream.
            var id = (await client.CreateAsync(new { model = "grok-imagine-video", prompt = "a slow pan over a harbour, node B renders it", seconds = 15, resolution = "720P" }))
                .GetProperty("id").GetString()!;

            // A long-poll on node A is answered by node B's claim or first progress, not by its 60 s.
            var polled = await Api.OkJsonAsync(await client.GetAsync($"/v1/videos/{id}?wait=60", Ct));
            Assert.True(
                polled.GetProperty("status").GetString() != "queued" || polled.GetProperty("progress").GetInt32() > 0,
                $"the long-poll answered an unchanged task: {polled}");

            await using var stream = await EventStream.OpenAsync(client, $"/v1/videos/{id}/events");
            var events = await stream.ReadToEndAsync();
            var progress = events.Select(e => e.Json.GetProperty("progress").GetInt32()).ToList();
            Assert.Equal(progress.Order(), progress);
            Assert.Equal(events.Select(e => e.Version).Order(), events.Select(e => e.Version));
            Assert.True(progress.Count(p => p is > 0 and < 100) >= 2, $"node A streamed too little of node B's progress: {string.Join(", ", progress)}");
            var last = events[^1].Json;
            Assert.Equal("completed", last.GetProperty("status").GetString());
            Assert.True(JsonElement.DeepEquals(await client.GetVideoAsync(id), last));
        }
        finally
        {
            PostgresServer.Instance.DropDatabase(database);
            foreach (var dir in dirs)
            {
                try
                {
                    Directory.Delete(dir, recursive: true);
                }
                catch (IOException)
                {
                    // A render's last write may still be closing; the temp folder is the OS's to clean.
                }
            }
        }
    }
}
