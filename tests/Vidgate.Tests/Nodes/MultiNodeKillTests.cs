using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Amazon.S3;
using Npgsql;
using Vidgate.Fakes;
using Vidgate.Server.Storage;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Nodes;

/// <summary>
/// Issue 10's multi-node test: two real Vidgate processes on one PostgreSQL database and one S3 bucket, both with
/// workers, 200 tasks (half rendered by the builtin renderer, half routed to a fake xAI upstream), one node SIGKILLed
/// mid-run and restarted on the same settings. Every task completes exactly once, its video is in the bucket and
/// served byte-for-byte by either node, the upstream made each job at most once, the ledger is exact, and no client
/// saw a 5xx.
/// </summary>
public sealed class MultiNodeKillTests
{
    private const int Tasks = 200;
    private const string RoutedModel = "grok-video-3";
    private const string BuiltinModel = "grok-imagine-video";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Two_nodes_finish_200_tasks_exactly_once_when_one_is_killed_mid_run_and_restarted()
    {
        var clock = Stopwatch.StartNew();
        var database = PostgresServer.Instance.CreateDatabase("multinode");
        var connectionString = PostgresServer.Instance.ConnectionString(database, maxPoolSize: 10);
        var dirs = new[] { Directory.CreateTempSubdirectory("vidgate-node1-").FullName, Directory.CreateTempSubdirectory("vidgate-node2-").FullName };
        await using var s3 = await S3rverServer.StartAsync("vidgate-nodes");

        // Upstream jobs last long enough that many are still running upstream when the node dies (their tracking moves).
        await using var fake = await FakeXaiUpstream.StartAsync(
            new FakeXaiOptions { MinJob = TimeSpan.FromSeconds(3), MaxJob = TimeSpan.FromSeconds(8) }, ct: Ct);
        var errors = new ServerErrors();
        var args = NodeArguments(connectionString, s3);
        var ports = new[] { ServerProcess.FreePort(), ServerProcess.FreePort() };
        var nodes = new ServerProcess?[2];
        try
        {
            nodes[0] = await ServerProcess.StartAsync(dirs[0], ports[0], args);

            // Runtime data lives in the database: the account, its key, the upstream and its route are made on node 1
            // before node 2 starts (node 2 loads them at start; later edits reach it within ReloadInterval).
            using var admin = errors.Client(nodes[0]!, VidgateApp.AdminKey);
            var account = await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/accounts", new { name = "multinode", tier = "unlimited" }, Ct));
            var accountId = account.GetProperty("id").GetString()!;
            const long initial = 1_000 * 1_000_000L;
            await Api.OkJsonAsync(await admin.PostAsJsonAsync($"/admin/accounts/{accountId}/top-up", new { amount_micros = initial, reason = "multinode test" }, Ct));
            var key = (await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/keys", new { name = "multinode", account_id = accountId }, Ct)))
                .GetProperty("key").GetString()!;
            await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/providers", new
            {
                id = "xai",
                type = "xai",
                base_url = fake.BaseUrl.ToString(),
                api_keys = new[] { fake.Options.ApiKey },
                request_timeout_seconds = 30, // a slow answer on a loaded machine must not look like a lost submit
            }, Ct));
            await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/routes", new { model = RoutedModel, provider = "xai" }, Ct));
            var initialBalance = (await Api.OkJsonAsync(await admin.GetAsync($"/admin/accounts/{accountId}", Ct))).GetProperty("balance_micros").GetInt64();

            nodes[1] = await ServerProcess.StartAsync(dirs[1], ports[1], args);
            using var user1 = errors.Client(nodes[0]!, key);
            using var user2 = errors.Client(nodes[1]!, key);
            HttpClient[] users = [user1, user2];

            // 200 creates, alternating models and nodes, 8 at a time. Unique prompts let the fake's jobs be told apart.
            var ids = new string[Tasks];
            using (var gate = new SemaphoreSlim(8))
            {
                await Task.WhenAll(Enumerable.Range(0, Tasks).Select(async i =>
                {
                    await gate.WaitAsync(Ct);
                    try
                    {
                        var created = await users[i % 2 == 0 ? 0 : 1].CreateAsync(new
                        {
                            model = i % 4 < 2 ? BuiltinModel : RoutedModel,
                            prompt = $"multinode task {i}, a slow pan over a harbour",
                            seconds = "1",
                            resolution = "480P",
                        });
                        ids[i] = created.GetProperty("id").GetString()!;
                    }
                    finally
                    {
                        gate.Release();
                    }
                }));
            }

            var routed = Enumerable.Range(0, Tasks).Where(i => i % 4 >= 2).Select(i => ids[i]).ToHashSet(StringComparer.Ordinal);

            // The kill: node 2 dies while it renders builtin tasks and while upstream jobs are still running. It is not
            // killed inside a submit (between the POST to the upstream and storing its id): xAI cannot look a job up by
            // our id, so such a task is failed with upstream_submit_interrupted rather than submitted twice (tested in
            // UpstreamRecoveryTests); this test is about takeover, so it waits until every routed task has been accepted.
            await using var db = NpgsqlDataSource.Create(connectionString);
            var victim = nodes[1]!;
            var owner = $"%:{victim.ProcessId.ToString(CultureInfo.InvariantCulture)}:%";
            await WaitUntilAsync(async () =>
            {
                var unsent = await CountAsync(db, "SELECT COUNT(*) FROM tasks WHERE provider <> 'builtin' AND upstream_id IS NULL AND status IN ('queued', 'processing');");
                var rendering = await CountAsync(db, "SELECT COUNT(*) FROM tasks WHERE provider = 'builtin' AND status = 'processing' AND lease_owner LIKE @owner;", owner);
                return unsent == 0 && rendering > 0;
            }, TimeSpan.FromSeconds(60), "node 2 never rendered while every upstream job was accepted");
            var heldByVictim = await CountAsync(db, "SELECT COUNT(*) FROM tasks WHERE status = 'processing' AND lease_owner LIKE @owner;", owner);
            var unfinished = await CountAsync(db, "SELECT COUNT(*) FROM tasks WHERE status <> 'completed';");
            await victim.KillAsync();
            KillOrphans(dirs[1]);
            Assert.True(unfinished > 20, $"the kill came too late to matter: only {unfinished} tasks were unfinished");

            // While node 2 is down, node 1 answers for every task (reads come from the shared database) and takes over
            // the dead node's leases once they lapse (lease 5 s, sweep every second).
            var killedAt = Stopwatch.StartNew();
            await WaitUntilAsync(async () =>
            {
                foreach (var id in ids.Take(20))
                {
                    await user1.GetVideoAsync(id);
                }

                return await CountAsync(db, "SELECT COUNT(*) FROM tasks WHERE lease_owner LIKE @owner;", owner) == 0;
            }, TimeSpan.FromSeconds(30), "node 1 did not take over the dead node's leases");
            var takeover = killedAt.Elapsed;

            nodes[1] = await ServerProcess.StartAsync(dirs[1], ports[1], args);
            using var restarted = errors.Client(nodes[1]!, key);
            users = [user1, restarted];

            // Every task completes; polled on both nodes in turn.
            var pending = new HashSet<string>(ids, StringComparer.Ordinal);
            var progressSeen = ids.ToDictionary(id => id, _ => 0, StringComparer.Ordinal);
            var turn = 0;
            var deadline = Stopwatch.StartNew();
            while (pending.Count > 0)
            {
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(150), $"{pending.Count} tasks unfinished, e.g. {pending.First()}");
                foreach (var id in pending.ToList())
                {
                    var video = await users[turn++ % 2].GetVideoAsync(id);
                    var status = video.GetProperty("status").GetString();
                    Assert.True(status is "queued" or "in_progress" or "processing" or "completed", $"task {id} ended {status}: {video}");

                    // Whichever node answers, and however often the task was taken over, progress never goes down.
                    var progress = video.GetProperty("progress").GetInt32();
                    Assert.True(progress >= progressSeen[id], $"task {id}: progress went from {progressSeen[id]} to {progress}");
                    progressSeen[id] = progress;
                    if (status == "completed")
                    {
                        pending.Remove(id);
                    }
                }

                await Task.Delay(250, Ct);
            }

            // The video is in the bucket and both nodes serve exactly its bytes.
            using var bucket = StorageExtensions.CreateClient(new S3StorageOptions { ServiceUrl = s3.Url, AccessKey = S3rverServer.AccessKey, SecretKey = S3rverServer.SecretKey, ForcePathStyle = true });
            using (var gate = new SemaphoreSlim(8))
            {
                await Task.WhenAll(ids.Select(async id =>
                {
                    await gate.WaitAsync(Ct);
                    try
                    {
                        var stored = await ObjectBytesAsync(bucket, s3.Bucket, $"videos/{id}/video.mp4");
                        Assert.True(stored.Length > 1000, $"task {id}: no video in the bucket");
                        Assert.Equal(stored, await user1.GetByteArrayAsync($"/v1/videos/{id}/content", Ct));
                        Assert.Equal(stored, await restarted.GetByteArrayAsync($"/v1/videos/{id}/content", Ct));
                    }
                    finally
                    {
                        gate.Release();
                    }
                }));
            }

            // Exactly once: one completion per task in the database, one job per routed task upstream, none for builtin ones.
            Assert.Equal(Tasks, await CountAsync(db, "SELECT COUNT(*) FROM tasks WHERE status = 'completed';"));
            var jobsByPrompt = fake.Requests.Values.GroupBy(body => body.GetProperty("prompt").GetString()!, StringComparer.Ordinal).ToList();
            Assert.All(jobsByPrompt, g => Assert.True(g.Count() == 1, $"the upstream made {g.Count()} jobs for '{g.Key}'"));
            Assert.Equal(routed.Count, fake.Accepted);
            Assert.Equal(routed.Count, fake.Submits);

            // The ledger: one charge per task, the balance is the initial one minus those charges, no hold left open.
            var charges = await LedgerAsync(admin, accountId);
            var charged = charges.Where(e => e.Kind == "charge").ToList();
            Assert.Equal(ids.Order(StringComparer.Ordinal), charged.Select(e => e.TaskId!).Order(StringComparer.Ordinal));
            Assert.All(charged, e => Assert.True(e.Amount < 0, $"charge {e.Amount} for {e.TaskId}"));
            using var admin2 = errors.Client(nodes[1]!, VidgateApp.AdminKey);
            foreach (var node in new[] { admin, admin2 })
            {
                var end = await AccountAsync(node, accountId);
                Assert.Equal(initialBalance + charged.Sum(e => e.Amount), end.GetProperty("balance_micros").GetInt64());
                Assert.Equal(end.GetProperty("balance_micros").GetInt64(), end.GetProperty("ledger_balance_micros").GetInt64());
                Assert.Equal(0L, end.GetProperty("held_micros").GetInt64());
                Assert.Equal(0, end.GetProperty("in_flight").GetInt32());
            }

            Assert.Equal(0, await CountAsync(db, "SELECT COUNT(*) FROM holds WHERE state = 'held' OR closed_at IS NULL;"));
            Assert.Empty(errors.Seen);

            // With S3 a node's disk holds no results: nothing under blobs/, and the scratch of finished work is removed
            // (previews of remote results are made after completion, so their folders may take a moment to go).
            foreach (var dir in dirs)
            {
                Assert.Empty(FilesUnder(Path.Combine(dir, "blobs")));
                await WaitUntilAsync(
                    () => Task.FromResult(!FilesUnder(Path.Combine(dir, "work")).Any()),
                    TimeSpan.FromSeconds(60),
                    $"scratch files left in {dir}/work");
            }

            TestContext.Current.TestOutputHelper?.WriteLine(
                $"multinode: {heldByVictim} tasks leased by the killed node, taken over in {takeover.TotalSeconds:0.0} s; whole test {clock.Elapsed.TotalSeconds:0} s");
        }
        finally
        {
            foreach (var node in nodes)
            {
                if (node is not null)
                {
                    await node.DisposeAsync();
                }
            }

            PostgresServer.Instance.DropDatabase(database);
            foreach (var dir in dirs)
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    /// <summary>Both nodes' settings, as command-line arguments: same database, same bucket, short leases, cheap renders.</summary>
    private static string[] NodeArguments(string connectionString, S3rverServer s3)
    {
        var settings = new Dictionary<string, string?>(s3.Settings())
        {
            ["Vidgate:Database:Provider"] = "postgres",
            ["ConnectionStrings:Vidgate"] = connectionString,
            ["Vidgate:LeaseDuration"] = "00:00:05",
            ["Vidgate:SweepInterval"] = "00:00:01",
            ["Vidgate:ProgressInterval"] = "00:00:00.500",
            ["Vidgate:Fetch:Allow:0"] = "127.0.0.0/8",
            ["Vidgate:Upstreams:MinPollInterval"] = "00:00:00.500",
            ["Vidgate:Upstreams:MaxPollInterval"] = "00:00:01",
            ["Vidgate:Upstreams:MaxBlindPollInterval"] = "00:00:01",
            ["Vidgate:Upstreams:RetryDelay"] = "00:00:01",
            ["Vidgate:Upstreams:PollLease"] = "00:00:05",
            ["Vidgate:Upstreams:ReloadInterval"] = "00:00:01",
            ["Providers:Builtin:Preset"] = "ultrafast",
            ["Providers:Builtin:Concurrency"] = "2",
        };
        return [.. settings.Select(s => $"--{s.Key}={s.Value}")];
    }

    private static async Task<long> CountAsync(NpgsqlDataSource db, string sql, string? owner = null)
    {
        await using var command = db.CreateCommand(sql);
        if (owner is not null)
        {
            command.Parameters.AddWithValue("owner", owner);
        }

        return Convert.ToInt64(await command.ExecuteScalarAsync(Ct), CultureInfo.InvariantCulture);
    }

    private static IEnumerable<string> FilesUnder(string folder)
        => Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories) : [];

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string failure)
    {
        var waited = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(waited.Elapsed < timeout, failure);
            await Task.Delay(20, Ct);
        }
    }

    /// <summary>The killed node's ffmpeg runs are orphans now (a real crash leaves them too); they must not write on.</summary>
    private static void KillOrphans(string dataDir)
    {
        foreach (var pid in Processes.WithCommandLineContaining(dataDir))
        {
            try
            {
                Process.GetProcessById(pid).Kill();
            }
            catch (ArgumentException)
            {
            }
            catch (InvalidOperationException)
            {
            }
        }
    }

    private static async Task<JsonElement> AccountAsync(HttpClient admin, string accountId)
        => await Api.OkJsonAsync(await admin.GetAsync($"/admin/accounts/{accountId}", Ct));

    private static async Task<List<(string Kind, long Amount, string? TaskId)>> LedgerAsync(HttpClient admin, string accountId)
    {
        var entries = new List<(string, long, string?)>();
        long after = 0;
        while (true)
        {
            var page = await Api.OkJsonAsync(await admin.GetAsync($"/admin/accounts/{accountId}/ledger?limit=1000&after={after}", Ct));
            foreach (var e in page.GetProperty("data").EnumerateArray())
            {
                entries.Add((e.GetProperty("kind").GetString()!, e.GetProperty("amount_micros").GetInt64(), e.GetProperty("task_id").GetString()));
                after = e.GetProperty("seq").GetInt64();
            }

            if (!page.GetProperty("has_more").GetBoolean())
            {
                return entries;
            }
        }
    }

    private static async Task<byte[]> ObjectBytesAsync(AmazonS3Client s3, string bucket, string key)
    {
        using var response = await s3.GetObjectAsync(bucket, key, Ct);
        using var copy = new MemoryStream();
        await response.ResponseStream.CopyToAsync(copy, Ct);
        return copy.ToArray();
    }

    /// <summary>Clients whose every response is checked: a 5xx from either node is recorded and fails the test at the end.</summary>
    private sealed class ServerErrors
    {
        private readonly ConcurrentQueue<string> _seen = new();

        public IReadOnlyCollection<string> Seen => _seen;

        public HttpClient Client(ServerProcess node, string key)
        {
            var client = new HttpClient(new Checking(_seen) { InnerHandler = new HttpClientHandler() }) { BaseAddress = node.BaseAddress };
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
            return client;
        }

        private sealed class Checking(ConcurrentQueue<string> seen) : DelegatingHandler
        {
            protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                var response = await base.SendAsync(request, cancellationToken);
                if ((int)response.StatusCode >= 500)
                {
                    seen.Enqueue($"{(int)response.StatusCode} {request.Method} {request.RequestUri}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
                }

                return response;
            }
        }
    }
}
