using System.Data.Common;
using Npgsql;
using Vidgate.Server.Billing;
using Vidgate.Server.Data.Postgres;
using Vidgate.Server.Tasks;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Data.Postgres;

/// <summary>
/// Task endings on PostgreSQL go in groups (<see cref="PostgresTaskEndings"/>) and close their holds with the account rows
/// locked last: many endings of one account from two nodes at once still close each hold exactly once and leave the
/// books exact, and an ending that fails inside a group fails alone.
/// </summary>
public sealed class PostgresEndingGroupsTests : IDisposable
{
    private static readonly string[] Builtin = ["builtin"];
    private readonly PostgresEngine _node1 = new();
    private readonly StoreEngine _node2;

    public PostgresEndingGroupsTests() => _node2 = _node1.OpenAnother();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DateTimeOffset Now => StoreContract.Now;

    [Fact]
    public Task Two_nodes_ending_many_tasks_of_one_account_at_once_close_each_hold_exactly_once() => TestSeed.RunAsync(async (rng, _) =>
    {
        // Two accounts (each group locks both rows, in id order), most of the tasks on the first.
        var busy = (await _node1.Billing.CreateAccountAsync("busy", "default", unmetered: false, Ct))!;
        var other = (await _node1.Billing.CreateAccountAsync("other", "default", unmetered: false, Ct))!;
        const long credit = 2_000 * Money.Unit;
        await _node1.Billing.ChangeBalanceAsync(busy.Id, "credit", credit, "test credit", Ct);
        await _node1.Billing.ChangeBalanceAsync(other.Id, "credit", credit, "test credit", Ct);

        var tasks = new List<VideoTask>();
        for (var i = 0; i < 160; i++)
        {
            var task = StoreContract.NewTask(account: i % 8 == 0 ? other.Id : busy.Id, seconds: rng.Next(1, 7));
            Assert.IsType<InsertOutcome.Created>(await _node1.Tasks.InsertAsync(task, StoreContract.HoldFor(task), Ct));
            tasks.Add(task);
        }

        for (var i = 0; i < tasks.Count; i++)
        {
            Assert.NotNull(await _node1.Tasks.TryClaimAsync(Builtin, "worker", Now, Now.AddMinutes(1), Ct));
        }

        // Every task is ended twice at once, once on each node (the same lease owner: both endings are allowed, only
        // one may win): node 1 completes it with some seconds delivered, node 2 fails it.
        var delivered = tasks.ToDictionary(t => t.Id, t => rng.Next(0, t.Seconds + 2));
        var races = tasks.Select(t => (
            Task: t,
            Completed: _node1.Tasks.CompleteAsync(t.Id, "worker", Now, Now.AddDays(1), delivered[t.Id], Ct),
            Failed: _node2.Tasks.FailAsync(t.Id, "worker", "upstream_failed", "failed on node 2", Now, Ct))).ToList();
        await Task.WhenAll(races.SelectMany(r => new[] { r.Completed, r.Failed }));
        Assert.All(races, r => Assert.True(r.Completed.Result ^ r.Failed.Result, $"{r.Task.Id}: exactly one ending wins"));

        // One unit a second (StoreContract.HoldFor): a completion charges what was delivered, at most what was held.
        long Charge(VideoTask t) => Math.Min(delivered[t.Id], t.Seconds) * Money.Unit;
        var holds = await HoldsAsync();
        var charges = await ChargesAsync();
        foreach (var (task, completed, _) in races)
        {
            var hold = holds[task.Id];
            var stored = await _node2.Tasks.GetAsync(task.Id, null, Ct);
            if (completed.Result)
            {
                Assert.Equal((VideoStatus.Completed, "settled", "completed", Charge(task)), (stored!.Status, hold.State, hold.Outcome, hold.Charged));
            }
            else
            {
                Assert.Equal((VideoStatus.Failed, "released", "failed", 0L), (stored!.Status, hold.State, hold.Outcome, hold.Charged));
            }

            // One charge row per charged task, never two.
            List<long> expected = completed.Result && Charge(task) > 0 ? [-Charge(task)] : [];
            Assert.Equal(expected, charges.GetValueOrDefault(task.Id, []));
        }

        foreach (var account in new[] { busy, other })
        {
            var spent = races.Where(r => r.Task.AccountId == account.Id && r.Completed.Result).Sum(r => Charge(r.Task));
            var (books, ledger) = (await _node2.Billing.GetAccountWithLedgerAsync(account.Id, Ct))!.Value;
            Assert.Equal((credit - spent, 0L, 0, credit - spent), (books.Balance, books.Held, books.InFlight, ledger));
        }
    });

    [Fact]
    public async Task An_ending_that_fails_inside_a_group_fails_alone_and_the_rest_of_its_group_commits()
    {
        var account = (await _node1.Billing.CreateAccountAsync("grouped", "default", unmetered: false, Ct))!;
        await _node1.Billing.ChangeBalanceAsync(account.Id, "credit", 1_000 * Money.Unit, "test credit", Ct);
        var gate = new GateAndPoison();
        var store = new PostgresTaskStore(_node1.Database, [new TaskMoney(_node1.Ledger), gate]);
        var tasks = new List<VideoTask>();
        for (var i = 0; i < 30; i++)
        {
            var task = StoreContract.NewTask(account: account.Id, seconds: 2);
            Assert.IsType<InsertOutcome.Created>(await store.InsertAsync(task, StoreContract.HoldFor(task), Ct));
            Assert.NotNull(await store.TryClaimAsync(Builtin, "worker", Now, Now.AddMinutes(1), Ct));
            tasks.Add(task);
        }

        gate.Poisoned = tasks[^1].Id;

        // The first ending's group is held open until the other 29 are waiting, so those 29 (the poisoned one among
        // them) are one group: it fails as a whole, and each is written again alone.
        var first = store.CompleteAsync(tasks[0].Id, "worker", Now, null, Ct);
        await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        var rest = tasks.Skip(1).Select(t => store.CompleteAsync(t.Id, "worker", Now, null, Ct)).ToList();
        gate.Release.SetResult();

        Assert.True(await first);
        await Assert.ThrowsAsync<InvalidOperationException>(() => rest[^1]);
        Assert.All(rest.Take(rest.Count - 1), r => Assert.True(r.Result));
        Assert.Contains(29, gate.GroupSizes);

        // The poisoned ending rolled back whole: its task still processing under its lease, its hold open, nothing charged.
        var holds = await HoldsAsync();
        Assert.Equal(VideoStatus.Processing, (await store.GetAsync(tasks[^1].Id, null, Ct))!.Status);
        Assert.Equal("held", holds[tasks[^1].Id].State);
        Assert.All(tasks.SkipLast(1), t => Assert.Equal(("settled", 2 * Money.Unit), (holds[t.Id].State, holds[t.Id].Charged)));
        var (books, ledger) = (await _node1.Billing.GetAccountWithLedgerAsync(account.Id, Ct))!.Value;
        Assert.Equal((1_000 * Money.Unit - (29 * 2 * Money.Unit) - (2 * Money.Unit), 2 * Money.Unit, 1), (books.Balance, books.Held, books.InFlight));
        Assert.Equal(books.Balance, ledger);

        // Once whatever broke it is gone, the same ending goes through, and is charged once.
        gate.Poisoned = null;
        Assert.True(await store.CompleteAsync(tasks[^1].Id, "worker", Now, null, Ct));
        Assert.False(await store.CompleteAsync(tasks[^1].Id, "worker", Now, null, Ct));
        var (end, endLedger) = (await _node1.Billing.GetAccountWithLedgerAsync(account.Id, Ct))!.Value;
        Assert.Equal((1_000 * Money.Unit - (30 * 2 * Money.Unit), 0L, 0, end.Balance), (end.Balance, end.Held, end.InFlight, endLedger));
    }

    private async Task<Dictionary<string, (string State, string? Outcome, long? Charged)>> HoldsAsync()
    {
        await using var connection = new NpgsqlConnection(_node1.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT task_id, state, outcome, charged FROM holds;", connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var holds = new Dictionary<string, (string, string?, long?)>(StringComparer.Ordinal);
        while (await reader.ReadAsync(Ct))
        {
            holds[reader.GetString(0)] = (reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetInt64(3));
        }

        return holds;
    }

    private async Task<Dictionary<string, List<long>>> ChargesAsync()
    {
        await using var connection = new NpgsqlConnection(_node1.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT task_id, amount FROM ledger WHERE kind = 'charge' ORDER BY seq;", connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var charges = new Dictionary<string, List<long>>(StringComparer.Ordinal);
        while (await reader.ReadAsync(Ct))
        {
            var id = reader.GetString(0);
            charges[id] = [.. charges.GetValueOrDefault(id, []), reader.GetInt64(1)];
        }

        return charges;
    }

    /// <summary>
    /// A participant that holds the first group open until released, records each group's size, and throws for the
    /// poisoned task. It says it locks shared rows, so it runs after billing (registered before it): the throw comes after
    /// the group's holds were closed in its transaction, which must then roll back whole.
    /// </summary>
    private sealed class GateAndPoison : ITaskParticipant
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public System.Collections.Concurrent.ConcurrentQueue<int> GroupSizes { get; } = new();

        public volatile string? Poisoned;

        public bool LocksSharedRows => true;

        public async ValueTask<HoldClosed?[]> EndedManyAsync(DbConnection connection, IReadOnlyList<EndedTask> endings, CancellationToken ct)
        {
            GroupSizes.Enqueue(endings.Count);
            if (Entered.TrySetResult())
            {
                await Release.Task;
            }

            if (endings.Any(e => e.TaskId == Poisoned))
            {
                throw new InvalidOperationException("poisoned ending");
            }

            return new HoldClosed?[endings.Count];
        }

        public ValueTask<HoldClosed?> EndedAsync(DbConnection connection, string taskId, TaskEnding ending, DateTimeOffset now, CancellationToken ct)
            => ValueTask.FromResult<HoldClosed?>(null);

        public ValueTask<InsertOutcome?> BeforeInsertAsync(DbConnection connection, VideoTask task, InsertTerms terms, CancellationToken ct)
            => ValueTask.FromResult<InsertOutcome?>(null);

        public ValueTask AfterInsertAsync(DbConnection connection, VideoTask task, InsertTerms terms, CancellationToken ct) => ValueTask.CompletedTask;

        public ValueTask CostReportedAsync(DbConnection connection, string taskId, long costUsdTicks, CancellationToken ct) => ValueTask.CompletedTask;

        public ValueTask ProgressedAsync(DbConnection connection, string taskId, int from, int to, CancellationToken ct) => ValueTask.CompletedTask;
    }

    public void Dispose()
    {
        _node2.Dispose();
        _node1.Dispose();
    }
}
