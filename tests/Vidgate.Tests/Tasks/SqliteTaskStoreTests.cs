using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Vidgate.Server.Data.Sqlite;
using Vidgate.Server.Hosting;
using Vidgate.Server.Tasks;

namespace Vidgate.Tests.Tasks;

/// <summary>The store is the queue: claims are atomic, transitions are compare-and-swap, writes are durable.</summary>
public sealed class SqliteTaskStoreTests : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-06-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
    private static readonly string[] Builtin = ["builtin"];
    private readonly string _dir = Directory.CreateTempSubdirectory("vidgate-store-").FullName;
    private readonly SqliteDatabase _db;
    private readonly SqliteTaskStore _store;

    public SqliteTaskStoreTests()
    {
        _db = Open();
        _store = new SqliteTaskStore(_db);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private SqliteDatabase Open() => new(Options.Create(new VidgateOptions { DataDir = _dir }), NullLogger<SqliteDatabase>.Instance);

    private static VideoTask NewTask(string account = "acct_a", string provider = "builtin", DateTimeOffset? at = null) => new()
    {
        Id = VideoTask.NewId(),
        AccountId = account,
        KeyId = "key_a",
        Dialect = Dialect.Seed,
        Model = "grok-imagine-video",
        Prompt = "p",
        Seconds = 6,
        Width = 1280,
        Height = 720,
        AspectRatio = "16:9",
        Resolution = "720P",
        Provider = provider,
        CreatedAt = at ?? Now,
        InputKeys = ["inputs/x/0.png"],
    };

    [Fact]
    public async Task A_task_round_trips_with_every_field()
    {
        var task = NewTask();
        await _store.InsertAsync(task, Ct);
        var read = await _store.GetAsync(task.Id, "acct_a", Ct);
        Assert.Equal(task, read! with { InputKeys = task.InputKeys });
        Assert.Equal(task.InputKeys, read.InputKeys);
        Assert.Null(await _store.GetAsync(task.Id, "acct_b", Ct));
        Assert.NotNull(await _store.GetAsync(task.Id, null, Ct));
    }

    [Fact]
    public async Task A_task_read_from_memory_is_never_older_than_the_last_write_of_any_kind()
    {
        var task = NewTask();
        await _store.InsertAsync(task, Ct);
        var first = await _store.GetAsync(task.Id, "acct_a", Ct);

        // Nothing written since: the same answer, also for another owner (none) and for no owner.
        Assert.Equal(first!.Status, (await _store.GetAsync(task.Id, "acct_a", Ct))!.Status);
        Assert.Null(await _store.GetAsync(task.Id, "acct_b", Ct));
        Assert.Equal(first.Id, (await _store.GetAsync(task.Id, null, Ct))!.Id);

        // Any write (here: a claim, then progress, then a cancel) is seen by the very next read.
        var claimed = await _store.TryClaimAsync(Builtin, "w1", Now, Now.AddMinutes(1), Ct);
        Assert.Equal(VideoStatus.Processing, (await _store.GetAsync(task.Id, "acct_a", Ct))!.Status);
        Assert.True(await _store.HeartbeatAsync(claimed!.Id, "w1", Now.AddMinutes(1), 42, Ct));
        Assert.Equal(42, (await _store.GetAsync(task.Id, "acct_a", Ct))!.Progress);
        await _store.CancelAsync(task.Id, "acct_a", Now, Ct);
        Assert.Equal(VideoStatus.Cancelled, (await _store.GetAsync(task.Id, "acct_a", Ct))!.Status);

        // Deleted: gone from memory as from the table.
        Assert.True(await _store.DeleteFinishedAsync(task.Id, "acct_a", Ct));
        Assert.Null(await _store.GetAsync(task.Id, "acct_a", Ct));
    }

    [Fact]
    public async Task A_change_made_by_another_process_on_the_same_file_shows_within_a_moment()
    {
        var task = NewTask();
        await _store.InsertAsync(task, Ct);
        Assert.Equal(VideoStatus.Queued, (await _store.GetAsync(task.Id, "acct_a", Ct))!.Status);

        // Another server on the same data folder (an API-only node and a worker node) has its own writer.
        using var otherDb = Open();
        var other = new SqliteTaskStore(otherDb);
        await other.CancelAsync(task.Id, "acct_a", Now, Ct);

        var deadline = DateTime.UtcNow.AddSeconds(5);
        while ((await _store.GetAsync(task.Id, "acct_a", Ct))!.Status != VideoStatus.Cancelled)
        {
            Assert.True(DateTime.UtcNow < deadline, "the other process's cancel never showed");
            await Task.Delay(20, Ct);
        }
    }

    [Fact]
    public async Task Two_workers_racing_for_one_task_never_both_win()
    {
        await _store.InsertAsync(NewTask(), Ct);
        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            _store.TryClaimAsync(Builtin, $"node-{i}", Now, Now.AddSeconds(30), Ct)));
        var winner = Assert.Single(claims, c => c is not null);
        Assert.Equal(VideoStatus.Processing, winner!.Status);
        Assert.Equal(1, winner.Attempts);
    }

    [Fact]
    public async Task Claims_take_the_oldest_task_of_the_workers_providers_only()
    {
        var older = NewTask(at: Now.AddSeconds(-10));
        var newer = NewTask();
        var elsewhere = NewTask(provider: "xai", at: Now.AddSeconds(-20));
        foreach (var task in new[] { newer, elsewhere, older })
        {
            await _store.InsertAsync(task, Ct);
        }

        Assert.Equal(older.Id, (await _store.TryClaimAsync(Builtin, "n", Now, Now.AddSeconds(30), Ct))!.Id);
        Assert.Equal(newer.Id, (await _store.TryClaimAsync(Builtin, "n", Now, Now.AddSeconds(30), Ct))!.Id);
        Assert.Null(await _store.TryClaimAsync(Builtin, "n", Now, Now.AddSeconds(30), Ct));
    }

    [Fact]
    public async Task Only_the_lease_owner_can_complete_and_a_cancel_beats_a_late_completion()
    {
        var task = NewTask();
        await _store.InsertAsync(task, Ct);
        await _store.TryClaimAsync(Builtin, "owner", Now, Now.AddSeconds(30), Ct);

        Assert.False(await _store.CompleteAsync(task.Id, "intruder", Now, null, Ct));
        var (cancelled, changed) = await _store.CancelAsync(task.Id, "acct_a", Now, Ct);
        Assert.True(changed);
        Assert.Equal(VideoStatus.Cancelled, cancelled!.Status);

        Assert.False(await _store.CompleteAsync(task.Id, "owner", Now, null, Ct));
        Assert.False(await _store.FailAsync(task.Id, "owner", "x", "y", Now, Ct));
        Assert.False(await _store.HeartbeatAsync(task.Id, "owner", Now.AddSeconds(60), 50, Ct));
        Assert.Equal(VideoStatus.Cancelled, (await _store.GetAsync(task.Id, null, Ct))!.Status);

        var (_, again) = await _store.CancelAsync(task.Id, "acct_a", Now, Ct);
        Assert.False(again);
        var (foreign, _) = await _store.CancelAsync(task.Id, "acct_b", Now, Ct);
        Assert.Null(foreign);
    }

    [Fact]
    public async Task Progress_never_goes_down_and_completion_sets_100()
    {
        var task = NewTask();
        await _store.InsertAsync(task, Ct);
        await _store.TryClaimAsync(Builtin, "owner", Now, Now.AddSeconds(30), Ct);
        Assert.True(await _store.HeartbeatAsync(task.Id, "owner", Now.AddSeconds(30), 40, Ct));
        Assert.True(await _store.HeartbeatAsync(task.Id, "owner", Now.AddSeconds(30), 10, Ct));
        Assert.Equal(40, (await _store.GetAsync(task.Id, null, Ct))!.Progress);
        Assert.True(await _store.HeartbeatAsync(task.Id, "owner", Now.AddSeconds(30), 250, Ct));
        Assert.Equal(99, (await _store.GetAsync(task.Id, null, Ct))!.Progress);
        Assert.True(await _store.CompleteAsync(task.Id, "owner", Now, Now.AddDays(7), Ct));
        var done = await _store.GetAsync(task.Id, null, Ct);
        Assert.Equal((VideoStatus.Completed, 100), (done!.Status, done.Progress));
    }

    [Fact]
    public async Task A_lapsed_lease_is_requeued_and_the_old_owner_can_no_longer_write()
    {
        var task = NewTask();
        await _store.InsertAsync(task, Ct);
        await _store.TryClaimAsync(Builtin, "dead-node", Now, Now.AddSeconds(30), Ct);

        Assert.Equal(0, await _store.RequeueLapsedAsync(Now.AddSeconds(29), Ct));
        Assert.Equal(1, await _store.RequeueLapsedAsync(Now.AddSeconds(31), Ct));
        var second = await _store.TryClaimAsync(Builtin, "live-node", Now.AddSeconds(31), Now.AddSeconds(61), Ct);
        Assert.Equal(2, second!.Attempts);
        Assert.False(await _store.CompleteAsync(task.Id, "dead-node", Now, null, Ct));
        Assert.True(await _store.CompleteAsync(task.Id, "live-node", Now, null, Ct));
    }

    [Fact]
    public async Task Concurrent_inserts_are_all_committed_durably_in_shared_batches()
    {
        var tasks = Enumerable.Range(0, 300).Select(_ => NewTask()).ToList();
        await Task.WhenAll(tasks.Select(t => _store.InsertAsync(t, Ct)));

        // A fresh connection (as after a restart) sees every acknowledged insert.
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_dir, "vidgate.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM tasks; ";
        Assert.Equal(300L, (long)command.ExecuteScalar()!);
        command.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", (string)command.ExecuteScalar()!);
    }

    [Fact]
    public async Task A_failing_write_does_not_undo_the_others_in_its_batch()
    {
        var task = NewTask();
        var duplicate = task with { };
        var others = Enumerable.Range(0, 20).Select(_ => NewTask()).ToList();
        await _store.InsertAsync(task, Ct);
        var results = await Task.WhenAll(others.Select(o => Capture(_store.InsertAsync(o, Ct))).Append(Capture(_store.InsertAsync(duplicate, Ct))));
        Assert.Single(results, r => r is SqliteException);
        foreach (var other in others)
        {
            Assert.NotNull(await _store.GetAsync(other.Id, null, Ct));
        }
    }

    [Fact]
    public async Task Listing_is_owner_scoped_ordered_and_paged_by_cursor()
    {
        var mine = Enumerable.Range(0, 5).Select(i => NewTask(at: Now.AddSeconds(i))).ToList();
        foreach (var t in mine)
        {
            await _store.InsertAsync(t, Ct);
            await Task.Delay(2, Ct);
        }

        await _store.InsertAsync(NewTask(account: "acct_b"), Ct);
        var page1 = await _store.ListAsync("acct_a", null, 2, descending: true, Ct);
        var page2 = await _store.ListAsync("acct_a", page1[^1].Id, 2, descending: true, Ct);
        var page3 = await _store.ListAsync("acct_a", page2[^1].Id, 2, descending: true, Ct);
        Assert.Equal(mine.Select(t => t.Id).Reverse(), page1.Concat(page2).Concat(page3).Select(t => t.Id));
        Assert.Single(page3);
    }

    [Fact]
    public async Task Migrations_apply_once_and_a_reopened_database_keeps_its_data()
    {
        var task = NewTask();
        await _store.InsertAsync(task, Ct);
        _db.Dispose();
        using var reopened = Open();
        var store = new SqliteTaskStore(reopened);
        Assert.NotNull(await store.GetAsync(task.Id, null, Ct));
    }

    private static async Task<Exception?> Capture(Task task)
    {
        try
        {
            await task;
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    public void Dispose()
    {
        _db.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
