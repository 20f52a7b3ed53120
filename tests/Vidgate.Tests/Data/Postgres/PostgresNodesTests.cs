using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Vidgate.Server.Billing;
using Vidgate.Server.Data.Postgres;
using Vidgate.Server.Tasks;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Data.Postgres;

/// <summary>
/// What PostgreSQL adds over SQLite: several nodes (each with its own data source, so its own pool and transactions)
/// on one database. Money stays exact and tasks are taken once however their writes interleave, two nodes starting at
/// once migrate once, and a node pointed at a wrong database refuses to start with one line.
/// </summary>
public sealed class PostgresNodesTests : IDisposable
{
    private static readonly string[] Builtin = ["builtin"];
    private readonly PostgresEngine _node1 = new();
    private readonly StoreEngine _node2;

    public PostgresNodesTests() => _node2 = _node1.OpenAnother();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DateTimeOffset Now => StoreContract.Now;

    [Fact]
    public async Task Two_nodes_creating_against_one_account_at_once_never_overdraw_it_and_the_books_stay_exact()
    {
        var account = (await _node1.Billing.CreateAccountAsync("shared", "default", unmetered: false, Ct))!;
        await _node1.Billing.ChangeBalanceAsync(account.Id, "credit", 20 * Money.Unit, "test credit", Ct);

        // 60 one-second creates (1.00 each) against 20.00, spread over both nodes and fired at once.
        var attempts = Enumerable.Range(0, 60).Select(i =>
        {
            var task = StoreContract.NewTask(account: account.Id, seconds: 1);
            var node = i % 2 == 0 ? (StoreEngine)_node1 : _node2;
            return (Task: task, Outcome: node.Tasks.InsertAsync(task, StoreContract.HoldFor(task), Ct));
        }).ToList();
        await Task.WhenAll(attempts.Select(a => a.Outcome));

        var created = attempts.Where(a => a.Outcome.Result is InsertOutcome.Created).Select(a => a.Task).ToList();
        Assert.Equal(20, created.Count);
        Assert.All(attempts.Where(a => a.Outcome.Result is not InsertOutcome.Created),
            a => Assert.IsType<HoldRefusal.Insufficient>(Assert.IsType<InsertOutcome.Refused>(a.Outcome.Result).Reason));
        var (afterCreates, ledger) = (await _node2.Billing.GetAccountWithLedgerAsync(account.Id, Ct))!.Value;
        Assert.Equal((0L, 20 * Money.Unit, 20, 0L), (afterCreates.Balance, afterCreates.Held, afterCreates.InFlight, ledger));

        // Both nodes race to end every task: node 1 completes, node 2 cancels. Each hold closes once, either way.
        foreach (var task in created)
        {
            Assert.NotNull(await _node1.Tasks.TryClaimAsync(Builtin, "node-1", Now, Now.AddMinutes(1), Ct));
        }

        var endings = await Task.WhenAll(created.Select(async t =>
        {
            var completed = _node1.Tasks.CompleteAsync(t.Id, "node-1", Now, null, Ct);
            var cancelled = _node2.Tasks.CancelAsync(t.Id, account.Id, Now, Ct);
            return (Completed: await completed, Cancelled: (await cancelled).Changed);
        }));
        Assert.All(endings, e => Assert.True(e.Completed ^ e.Cancelled));
        var charged = endings.Count(e => e.Completed);

        var (end, endLedger) = (await _node1.Billing.GetAccountWithLedgerAsync(account.Id, Ct))!.Value;
        Assert.Equal((20 * Money.Unit - (charged * Money.Unit), 0L, 0), (end.Balance, end.Held, end.InFlight));
        Assert.Equal(end.Balance, endLedger);
    }

    /// <summary>
    /// A batch without idempotency keys locks the accounts through the holds' read, one with keys through a lock
    /// statement first: mixed at once on two nodes, neither order may let an account be overdrawn, a key make two tasks,
    /// or a create fail with a database error (a lock-order deadlock is retried; one left over would surface here).
    /// </summary>
    [Fact]
    public async Task Two_nodes_creating_with_and_without_idempotency_keys_at_once_never_overdraw_and_each_key_makes_one_task()
    {
        var account = (await _node1.Billing.CreateAccountAsync("mixed", "default", unmetered: false, Ct))!;
        await _node1.Billing.ChangeBalanceAsync(account.Id, "credit", 20 * Money.Unit, "test credit", Ct);

        // 40 creates without a key and 10 keys sent twice each (once per node, same request): 50 asks for 20.00.
        var plain = Enumerable.Range(0, 40).Select(i =>
        {
            var task = StoreContract.NewTask(account: account.Id, seconds: 1);
            var node = i % 2 == 0 ? (StoreEngine)_node1 : _node2;
            return node.Tasks.InsertAsync(task, StoreContract.HoldFor(task), Ct);
        }).ToList();
        var keyed = Enumerable.Range(0, 10).Select(k =>
        {
            var claim = new IdempotencyClaim($"key-{k}", [(byte)k]);
            var first = StoreContract.NewTask(account: account.Id, seconds: 1);
            var second = StoreContract.NewTask(account: account.Id, seconds: 1);
            return (First: _node1.Tasks.InsertAsync(first, StoreContract.HoldFor(first, idempotency: claim), Ct),
                Second: _node2.Tasks.InsertAsync(second, StoreContract.HoldFor(second, idempotency: claim), Ct));
        }).ToList();
        await Task.WhenAll([.. plain, .. keyed.SelectMany(k => new[] { k.First, k.Second })]);

        var outcomes = plain.Select(o => o.Result).Concat(keyed.SelectMany(k => new[] { k.First.Result, k.Second.Result })).ToList();
        Assert.Equal(20, outcomes.Count(o => o is InsertOutcome.Created));
        Assert.All(outcomes.Where(o => o is not InsertOutcome.Created and not InsertOutcome.Existing),
            o => Assert.IsType<HoldRefusal.Insufficient>(Assert.IsType<InsertOutcome.Refused>(o).Reason));
        Assert.All(keyed, k =>
        {
            // One task per key: the other send of the key finds it, or both were refused (nothing was recorded).
            var pair = new[] { k.First.Result, k.Second.Result };
            Assert.True(
                (pair.Count(o => o is InsertOutcome.Created) == 1 && pair.Count(o => o is InsertOutcome.Existing) == 1)
                || pair.All(o => o is InsertOutcome.Refused),
                $"key answered {pair[0]} and {pair[1]}");
        });

        var (books, ledger) = (await _node2.Billing.GetAccountWithLedgerAsync(account.Id, Ct))!.Value;
        Assert.Equal((0L, 20 * Money.Unit, 20, 0L), (books.Balance, books.Held, books.InFlight, ledger));
    }

    [Fact]
    public async Task Two_nodes_claiming_from_one_queue_take_every_task_exactly_once()
    {
        var tasks = Enumerable.Range(0, 40).Select(_ => StoreContract.NewTask()).ToList();
        foreach (var task in tasks)
        {
            await _node1.Tasks.InsertAsync(task, Ct);
        }

        async Task<List<string>> DrainAsync(StoreEngine node, string owner)
        {
            var taken = new List<string>();
            var misses = 0;
            while (misses < 3)
            {
                // SKIP LOCKED may pass over a row the other node is taking right now: a miss is retried, not an answer.
                if (await node.Tasks.TryClaimAsync(Builtin, owner, Now, Now.AddMinutes(1), Ct) is { } claimed)
                {
                    taken.Add(claimed.Id);
                    misses = 0;
                }
                else
                {
                    misses++;
                }
            }

            return taken;
        }

        var drained = await Task.WhenAll(
            DrainAsync(_node1, "node-1"), DrainAsync(_node2, "node-2"), DrainAsync(_node1, "node-1b"), DrainAsync(_node2, "node-2b"));
        var all = drained.SelectMany(d => d).ToList();
        Assert.Equal(tasks.Select(t => t.Id).Order(), all.Order());
    }

    [Fact]
    public async Task A_node_claiming_due_polls_passes_over_the_jobs_another_node_has_locked_instead_of_waiting()
    {
        var ids = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var task = StoreContract.NewTask(provider: "upstream");
            await _node1.Tasks.InsertAsync(task, Ct);
            Assert.NotNull(await _node1.Tasks.TryClaimAsync(["upstream"], "submitter", Now, Now.AddMinutes(1), Ct));
            Assert.True(await _node1.UpstreamJobs.BeginSubmitAsync(task.Id, "submitter", "xai-1", 0, Now, Now.AddHours(1), Ct));
            Assert.True(await _node1.UpstreamJobs.AcceptedAsync(task.Id, "submitter", $"up-{i}", null, Now, Now.AddSeconds(i), Ct));
            ids.Add(task.Id);
        }

        // Node 1 is in the middle of claiming the three earliest (their rows locked, not yet committed): node 2's claim of the
        // same due jobs takes the other three at once (it would wait for node 1's commit without SKIP LOCKED).
        var earliest = ids.Take(3).ToArray();
        var claimedMeanwhile = await _node1.InWriteAsync(async connection =>
        {
            await using var lockRows = new NpgsqlCommand("SELECT task_id FROM upstream_jobs WHERE task_id = ANY(@ids) FOR UPDATE;", (NpgsqlConnection)connection);
            lockRows.Parameters.AddWithValue("ids", earliest);
            await lockRows.ExecuteNonQueryAsync(Ct);
            using var patience = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            patience.CancelAfter(TimeSpan.FromSeconds(20));
            return await _node2.UpstreamJobs.ClaimDueAsync(Now.AddSeconds(10), Now.AddMinutes(1), 10, patience.Token);
        });
        Assert.Equal(ids.Skip(3).Order(), claimedMeanwhile.Select(j => j.TaskId).Order());

        // Once node 1's transaction ended, the three it held are due again and go to whoever asks.
        Assert.Equal(earliest.Order(), (await _node1.UpstreamJobs.ClaimDueAsync(Now.AddSeconds(10), Now.AddMinutes(1), 10, Ct)).Select(j => j.TaskId).Order());
    }

    [Fact]
    public async Task Two_nodes_starting_at_once_on_an_empty_database_apply_each_migration_once()
    {
        var name = PostgresServer.Instance.CreateEmptyDatabase();
        try
        {
            using var first = PostgresDatabase.Create(PostgresServer.Instance.ConnectionString(name), NullLogger.Instance);
            using var second = PostgresDatabase.Create(PostgresServer.Instance.ConnectionString(name), NullLogger.Instance);
            await Task.WhenAll(first.MigrateAsync(Ct), second.MigrateAsync(Ct));

            await using var connection = await first.OpenAsync(Ct);
            await using var command = new NpgsqlCommand("SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_version;", connection);
            await using var reader = await command.ExecuteReaderAsync(Ct);
            Assert.True(await reader.ReadAsync(Ct));
            Assert.True(reader.GetInt64(0) >= 1);
            Assert.Equal(reader.GetInt64(0), reader.GetInt64(1));
        }
        finally
        {
            PostgresServer.Instance.DropDatabase(name);
        }
    }

    [Fact]
    public async Task A_server_on_postgres_with_a_wrong_database_exits_at_start_with_one_clear_line()
    {
        var data = Directory.CreateTempSubdirectory("vidgate-pg-bad-").FullName;
        try
        {
            // Nothing listens on the first; the second is the real server, but the database does not exist.
            var unreachable = RunWithAsync(data, "Host=127.0.0.1;Port=1;Database=vidgate;Username=vidgate;Timeout=5");
            var missing = RunWithAsync(data, PostgresServer.Instance.ConnectionString("no_such_database"));
            foreach (var (run, expected) in new[] { (unreachable, "127.0.0.1:1/vidgate"), (missing, "no_such_database") })
            {
                var (exitCode, output) = await run;
                Assert.Equal(1, exitCode);
                var line = Assert.Single(output.Split('\n'), l => l.Contains("Vidgate cannot start", StringComparison.Ordinal));
                Assert.Contains("database: PostgreSQL at", line, StringComparison.Ordinal);
                Assert.Contains(expected, line, StringComparison.Ordinal);
                Assert.DoesNotContain("   at ", output, StringComparison.Ordinal); // no stack trace
            }

            Assert.False(File.Exists(Path.Combine(data, "vidgate.db")), "a PostgreSQL node makes no SQLite file");
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task The_whole_server_runs_on_postgres_create_render_poll_and_charge()
    {
        var database = PostgresServer.Instance.CreateDatabase("app");
        try
        {
            await using var app = new VidgateApp(settings: new()
            {
                ["Vidgate:Database:Provider"] = "postgres",
                ["ConnectionStrings:Vidgate"] = PostgresServer.Instance.ConnectionString(database),
            });
            var (key, accountId) = await app.NewKeyAsync();
            await app.TopUpAsync(accountId, 100 * Money.Unit);
            using var user = app.Client(key);
            using var admin = app.Admin();
            var before = await admin.GetFromJsonAsync<JsonElement>($"/admin/accounts/{accountId}", Ct);
            var created = await user.CreateAsync(new { model = "grok-imagine-video", prompt = "a lighthouse at dusk, slow zoom in", seconds = "2", resolution = "480P" });
            var id = created.GetProperty("id").GetString()!;
            await user.WaitForAsync(id, "completed");
            var video = await user.GetByteArrayAsync($"/v1/videos/{id}/content", Ct);
            Assert.Equal("ftyp", System.Text.Encoding.ASCII.GetString(video, 4, 4));

            // Charged once, in the PostgreSQL ledger (2 s at 480P: 0.10), and the books balance.
            var account = await admin.GetFromJsonAsync<JsonElement>($"/admin/accounts/{accountId}", Ct);
            Assert.Equal(before.GetProperty("balance_micros").GetInt64() - 100_000, account.GetProperty("balance_micros").GetInt64());
            Assert.Equal(account.GetProperty("balance_micros").GetInt64(), account.GetProperty("ledger_balance_micros").GetInt64());
            Assert.False(File.Exists(Path.Combine(app.DataDir, "vidgate.db")), "a PostgreSQL node makes no SQLite file");
        }
        finally
        {
            PostgresServer.Instance.DropDatabase(database);
        }
    }

    [Fact]
    public async Task A_task_created_on_an_api_node_is_rendered_by_a_worker_node_and_read_back_on_either()
    {
        var database = PostgresServer.Instance.CreateDatabase("nodes");
        var shared = Directory.CreateTempSubdirectory("vidgate-pg-nodes-").FullName;
        try
        {
            var settings = new Dictionary<string, string?>
            {
                ["Vidgate:Database:Provider"] = "postgres",
                ["ConnectionStrings:Vidgate"] = PostgresServer.Instance.ConnectionString(database),
            };
            await using var api = new VidgateApp(dataDir: shared, settings: new(settings) { ["Vidgate:Workers"] = "false" });
            using var onApi = await api.NewUserAsync();
            var created = await onApi.CreateAsync(new { model = "grok-imagine-video", prompt = "a harbour at night, pan left", seconds = "2", resolution = "480P" });
            var id = created.GetProperty("id").GetString()!;
            Assert.Equal("queued", (await onApi.GetVideoAsync(id)).GetProperty("status").GetString());

            // The worker node starts later and takes the task from the shared queue; the API node sees it finish.
            await using var worker = new VidgateApp(dataDir: shared, settings: settings);
            using var onWorker = worker.Client(onApi.DefaultRequestHeaders.Authorization!.Parameter);
            await onApi.WaitForAsync(id, "completed");
            Assert.Equal("completed", (await onWorker.GetVideoAsync(id)).GetProperty("status").GetString());
            Assert.Equal(
                await onWorker.GetByteArrayAsync($"/v1/videos/{id}/content", Ct),
                await onApi.GetByteArrayAsync($"/v1/videos/{id}/content", Ct));
        }
        finally
        {
            PostgresServer.Instance.DropDatabase(database);
            Directory.Delete(shared, recursive: true);
        }
    }

    [Fact]
    public async Task A_create_on_one_node_wakes_the_idle_workers_of_another_at_once()
    {
        var signals = new WorkSignals(TimeProvider.System);
        using var listener = new PostgresWakeUps(_node1.Database, signals, TimeProvider.System, NullLogger<PostgresWakeUps>.Instance);
        await listener.StartAsync(Ct);
        try
        {
            // The listener wakes everyone once when it starts listening; that hint is taken first.
            await signals.Local.WaitAsync(TimeSpan.FromSeconds(10), Ct);
            await signals.Submit.WaitAsync(TimeSpan.FromSeconds(10), Ct);

            // Another node's create wakes both claiming lanes (which one runs the provider is not the database's to say).
            await _node2.Tasks.InsertAsync(StoreContract.NewTask(), Ct);
            var waited = System.Diagnostics.Stopwatch.StartNew();
            await signals.Local.WaitAsync(TimeSpan.FromSeconds(20), Ct);
            await signals.Submit.WaitAsync(TimeSpan.FromSeconds(20), Ct);
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(10), $"no wake-up within {waited.Elapsed}");
        }
        finally
        {
            await listener.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task An_upstream_callback_taken_by_one_node_wakes_the_tracker_of_another()
    {
        var signals = new WorkSignals(TimeProvider.System);
        using var listener = new PostgresWakeUps(_node1.Database, signals, TimeProvider.System, NullLogger<PostgresWakeUps>.Instance);
        await listener.StartAsync(Ct);
        try
        {
            var task = StoreContract.NewTask(provider: "upstream");
            await _node2.Tasks.InsertAsync(task, Ct);
            Assert.NotNull(await _node2.Tasks.TryClaimAsync(["upstream"], "submitter", Now, Now.AddMinutes(1), Ct));
            Assert.True(await _node2.UpstreamJobs.BeginSubmitAsync(task.Id, "submitter", "kling-1", 0, Now, Now.AddHours(1), Ct));
            Assert.True(await _node2.UpstreamJobs.SetCallbackAsync(task.Id, "submitter", "hash-1", Ct));
            Assert.True(await _node2.UpstreamJobs.AcceptedAsync(task.Id, "submitter", "up-1", null, Now, Now.AddMinutes(1), Ct));

            // Node 2 took the callback; node 1's tracker hears of it and finds the job due now in the shared store.
            Assert.Equal(CallbackWake.Woken, await _node2.UpstreamJobs.WakeAsync("kling-1", "hash-1", Now.AddSeconds(1), Ct));
            Assert.True(await signals.Track.WaitAsync(TimeSpan.FromSeconds(30), Ct), "node 1's tracker was not woken");
            Assert.Equal(Now.AddSeconds(1), await _node1.UpstreamJobs.NextDueAsync(Ct));
        }
        finally
        {
            await listener.StopAsync(CancellationToken.None);
        }
    }

    private static Task<(int ExitCode, string Output)> RunWithAsync(string data, string connectionString)
        => ServerProcess.RunToExitAsync(data, TimeSpan.FromSeconds(60), "--Vidgate:Database:Provider=postgres", $"--ConnectionStrings:Vidgate={connectionString}");

    public void Dispose()
    {
        _node2.Dispose();
        _node1.Dispose();
    }
}
