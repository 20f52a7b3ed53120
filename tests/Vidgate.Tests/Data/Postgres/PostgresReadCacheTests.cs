using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Vidgate.Server.Billing;
using Vidgate.Server.Data.Postgres;
using Vidgate.Server.Live;
using Vidgate.Server.Tasks;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Data.Postgres;

/// <summary>
/// The per-node read cache of the PostgreSQL task store (<see cref="PostgresTaskCache"/>), with two nodes on one database
/// wired as the server wires them (store, change relay with its LISTEN connection, the notifying decorator). A poll on
/// node A sees what node B wrote once B's hint arrived; while A's LISTEN connection is down A answers nothing from
/// memory; and a hint lost without the connection noticing costs at most the cache's bound, never a stale answer forever.
/// The nodes' cache clocks are fake, so the bounds are stepped, not waited for.
/// </summary>
public sealed class PostgresReadCacheTests : IAsyncLifetime
{
    private static readonly string[] Builtin = ["builtin"];
    private readonly string _database = PostgresServer.Instance.CreateDatabase("cache");
    private readonly FakeTimeProvider _clock = new(StoreContract.Now);
    private Node _a = null!;
    private Node _b = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _a = await Node.StartAsync(_database, "node-a", _clock);
        _b = await Node.StartAsync(_database, "node-b", _clock);
    }

    public async ValueTask DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        PostgresServer.Instance.DropDatabase(_database);
    }

    [Fact]
    public async Task A_poll_on_node_A_sees_a_write_on_node_B_once_Bs_hint_arrived()
    {
        var task = StoreContract.NewTask();
        await _b.Tasks.InsertAsync(task, Ct);
        Assert.Equal(VideoStatus.Queued, (await _a.Tasks.GetAsync(task.Id, null, Ct))!.Status);

        // What makes the poll fast: node A answers from memory, so a change nobody announced is not seen yet.
        await SqlAsync("UPDATE tasks SET prompt = 'changed behind the nodes'' backs' WHERE id = @id;", task.Id);
        Assert.Equal("p", (await _a.Tasks.GetAsync(task.Id, null, Ct))!.Prompt);

        using var watch = _a.Changes.Watch(task.Id);
        var claimed = await _b.Tasks.TryClaimAsync(Builtin, "node-b", StoreContract.Now, StoreContract.Now.AddMinutes(1), Ct);
        Assert.Equal(task.Id, claimed!.Id);
        Assert.True(await watch.WaitAsync(TimeSpan.FromSeconds(30), Ct), "node B's hint never reached node A");

        var seen = (await _a.Tasks.GetAsync(task.Id, null, Ct))!;
        Assert.Equal((VideoStatus.Processing, "changed behind the nodes' backs"), (seen.Status, seen.Prompt));

        // The same for an ending, and for the owner's view (a read with the account).
        using var ended = _a.Changes.Watch(task.Id);
        Assert.True(await _b.Tasks.CompleteAsync(task.Id, "node-b", StoreContract.Now, null, Ct));
        Assert.True(await ended.WaitAsync(TimeSpan.FromSeconds(30), Ct), "node B's hint never reached node A");
        Assert.Equal(VideoStatus.Completed, (await _a.Tasks.GetAsync(task.Id, task.AccountId, Ct))!.Status);
        Assert.Null(await _a.Tasks.GetAsync(task.Id, "acct_other", Ct));
    }

    [Fact]
    public async Task A_node_reads_its_own_writes_at_once()
    {
        var task = StoreContract.NewTask();
        await _a.Tasks.InsertAsync(task, Ct);
        Assert.Equal(VideoStatus.Queued, (await _a.Tasks.GetAsync(task.Id, null, Ct))!.Status);

        Assert.NotNull(await _a.Tasks.TryClaimAsync(Builtin, "node-a", StoreContract.Now, StoreContract.Now.AddMinutes(1), Ct));
        Assert.Equal(VideoStatus.Processing, (await _a.Tasks.GetAsync(task.Id, null, Ct))!.Status);
        Assert.True(await _a.Tasks.HeartbeatAsync(task.Id, "node-a", StoreContract.Now.AddMinutes(1), 40, Ct));
        Assert.Equal(40, (await _a.Tasks.GetAsync(task.Id, null, Ct))!.Progress);
        Assert.True(await _a.Tasks.FailAsync(task.Id, "node-a", "boom", "it broke", StoreContract.Now, Ct));
        Assert.Equal(VideoStatus.Failed, (await _a.Tasks.GetAsync(task.Id, null, Ct))!.Status);
        Assert.True(await _a.Tasks.DeleteFinishedAsync(task.Id, task.AccountId, Ct));
        Assert.Null(await _a.Tasks.GetAsync(task.Id, null, Ct));
    }

    [Fact]
    public async Task While_node_As_listen_connection_is_down_it_answers_nothing_from_memory()
    {
        var task = StoreContract.NewTask();
        await _b.Tasks.InsertAsync(task, Ct);
        Assert.Equal(VideoStatus.Queued, (await _a.Tasks.GetAsync(task.Id, null, Ct))!.Status);

        // Cut node A's LISTEN connection from the server side, as a network failure or a database restart would.
        await SqlAsync("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = @id AND query LIKE 'LISTEN%';", "node-a");
        await WaitUntilAsync(() => !_a.Cache.Listening, "node A never noticed its LISTEN connection was cut");

        // Node B's hint is sent while nobody on node A listens: node A must still not answer the old state.
        Assert.NotNull(await _b.Tasks.TryClaimAsync(Builtin, "node-b", StoreContract.Now, StoreContract.Now.AddMinutes(1), Ct));
        Assert.Equal(VideoStatus.Processing, (await _a.Tasks.GetAsync(task.Id, null, Ct))!.Status);
        Assert.True(await _b.Tasks.CancelAsync(task.Id, task.AccountId, StoreContract.Now, Ct) is { Changed: true });
        Assert.Equal(VideoStatus.Cancelled, (await _a.Tasks.GetAsync(task.Id, null, Ct))!.Status);

        // The reconnect (after its pause) listens again, and what was read before it is not trusted.
        for (var i = 0; i < 600 && !_a.Cache.Listening; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(6));
            await Task.Delay(50, Ct);
        }

        Assert.True(_a.Cache.Listening, "node A never listened again");
        await SqlAsync("DELETE FROM tasks WHERE id = @id;", task.Id);
        Assert.Null(await _a.Tasks.GetAsync(task.Id, null, Ct));
    }

    [Fact]
    public async Task A_hint_lost_while_the_connection_seems_up_is_stale_for_at_most_the_caches_bound()
    {
        var running = StoreContract.NewTask();
        var ended = StoreContract.NewTask();
        await _b.Tasks.InsertAsync(running, Ct);
        await _b.Tasks.InsertAsync(ended, Ct);
        Assert.True(await _b.Tasks.CancelAsync(ended.Id, ended.AccountId, StoreContract.Now, Ct) is { Changed: true });
        Assert.Equal(VideoStatus.Queued, (await _a.Tasks.GetAsync(running.Id, null, Ct))!.Status);
        Assert.Equal(VideoStatus.Cancelled, (await _a.Tasks.GetAsync(ended.Id, null, Ct))!.Status);

        // Changed in the database with no hint at all: the worst a lost NOTIFY can do.
        await SqlAsync("UPDATE tasks SET status = 'failed', error_code = 'gone' WHERE id = @id;", running.Id);
        await SqlAsync("DELETE FROM tasks WHERE id = @id;", ended.Id);

        _clock.Advance(PostgresTaskCache.LiveFor);
        Assert.Equal(VideoStatus.Failed, (await _a.Tasks.GetAsync(running.Id, null, Ct))!.Status);

        _clock.Advance(PostgresTaskCache.TerminalLiveFor - PostgresTaskCache.LiveFor);
        Assert.Null(await _a.Tasks.GetAsync(ended.Id, null, Ct));
    }

    private async Task SqlAsync(string sql, string id)
    {
        await using var connection = new NpgsqlConnection(PostgresServer.Instance.ConnectionString(_database) + ";Pooling=false");
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", id);
        await command.ExecuteNonQueryAsync(Ct);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        for (var i = 0; i < 600 && !condition(); i++)
        {
            await Task.Delay(50, Ct);
        }

        Assert.True(condition(), what);
    }

    /// <summary>One node: its own pool, cache, change feed and relay (LISTEN), and the store as the server decorates it.</summary>
    private sealed class Node : IAsyncDisposable
    {
        private readonly PostgresDatabase _db;
        private readonly PostgresTaskChanges _relay;

        private Node(string database, string name, FakeTimeProvider clock)
        {
            _db = PostgresDatabase.Create(PostgresServer.Instance.ConnectionString(database) + $";Application Name={name}", NullLogger.Instance);
            Cache = new PostgresTaskCache(clock);
            Changes = new TaskChanges(TimeProvider.System);
            _relay = new PostgresTaskChanges(_db, Changes, Cache, clock, NullLogger<PostgresTaskChanges>.Instance);
            Tasks = new NotifyingTaskStore(new PostgresTaskStore(_db, [new TaskMoney(new PostgresLedger())], Cache), new TaskChangeNotes(Changes, _relay));
        }

        public PostgresTaskCache Cache { get; }

        public TaskChanges Changes { get; }

        public ITaskStore Tasks { get; }

        public static async Task<Node> StartAsync(string database, string name, FakeTimeProvider clock)
        {
            var node = new Node(database, name, clock);
            await node._relay.StartAsync(CancellationToken.None);
            await WaitUntilAsync(() => node.Cache.Listening, $"{name} never listened");
            return node;
        }

        public async ValueTask DisposeAsync()
        {
            await _relay.StopAsync(CancellationToken.None);
            _relay.Dispose();
            _db.Dispose();
        }
    }
}
