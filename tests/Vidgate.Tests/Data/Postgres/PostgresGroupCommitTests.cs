using System.Security.Cryptography;
using Npgsql;
using Vidgate.Server.Billing;
using Vidgate.Server.Data.Postgres;
using Vidgate.Server.Tasks;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Data.Postgres;

/// <summary>
/// PostgreSQL's group commit of creates (<see cref="PgGroupCommit{TItem, TResult}"/> in <see cref="PostgresTaskStore"/>):
/// concurrent creates of one node are written together, and each is still answered as if it were alone. To make sure
/// they really share a batch, a test first sends one create of a gate account whose row it holds locked from outside:
/// that create's batch waits on it, and everything sent meanwhile goes into the next batch.
/// </summary>
public sealed class PostgresGroupCommitTests() : StoreContract(new PostgresEngine())
{
    private string ConnectionString => ((PostgresEngine)Engine).ConnectionString + ";Pooling=false";

    [Fact]
    public async Task Concurrent_creates_beyond_the_balance_create_exactly_the_affordable_ones_and_the_books_stay_exact()
    {
        var poor = await NewAccountAsync(37 * Money.Unit);
        var rich = await NewAccountAsync(1000 * Money.Unit);

        // 100 one-second creates (1.00 each) against 37.00, and 20 of another account, in one batch.
        var attempts = await InOneBatchAsync([
            .. Enumerable.Range(0, 100).Select(_ => NewTask(account: poor.Id, seconds: 1)),
            .. Enumerable.Range(0, 20).Select(_ => NewTask(account: rich.Id, seconds: 3)),
        ]);

        var poorOutcomes = attempts.Where(a => a.Task.AccountId == poor.Id).ToList();
        Assert.Equal(37, poorOutcomes.Count(a => a.Outcome is InsertOutcome.Created));
        Assert.All(poorOutcomes.Where(a => a.Outcome is not InsertOutcome.Created),
            a => Assert.Equal(new HoldRefusal.Insufficient(Money.Unit, 0), Assert.IsType<InsertOutcome.Refused>(a.Outcome).Reason));
        Assert.All(attempts.Where(a => a.Task.AccountId == rich.Id), a => Assert.IsType<InsertOutcome.Created>(a.Outcome));

        var poorBooks = await BooksAsync(poor.Id);
        Assert.Equal((0L, 37 * Money.Unit, 37), (poorBooks.Balance, poorBooks.Held, poorBooks.InFlight));
        var richBooks = await BooksAsync(rich.Id);
        Assert.Equal((940 * Money.Unit, 60 * Money.Unit, 20), (richBooks.Balance, richBooks.Held, richBooks.InFlight));

        // Every created task exists with its hold, and no refused one left a row behind.
        foreach (var (task, outcome) in attempts)
        {
            var stored = await Engine.Tasks.GetAsync(task.Id, null, Ct);
            Assert.Equal(outcome is InsertOutcome.Created, stored is not null);
            Assert.Equal(outcome is InsertOutcome.Created, await CountAsync("SELECT COUNT(*) FROM holds WHERE task_id = @id;", task.Id) == 1);
        }

        // The holds close as usual: cancelling a batch-created task gives its money back.
        var first = poorOutcomes.First(a => a.Outcome is InsertOutcome.Created).Task;
        Assert.True((await Engine.Tasks.CancelAsync(first.Id, poor.Id, Now, Ct)).Changed);
        var afterCancel = await BooksAsync(poor.Id);
        Assert.Equal((Money.Unit, 36 * Money.Unit, 36), (afterCancel.Balance, afterCancel.Held, afterCancel.InFlight));
    }

    [Fact]
    public async Task A_batch_that_takes_exactly_the_balance_and_the_in_flight_room_left_creates_every_task()
    {
        // Two in flight already, 4.00 left and room for four more: a batch of four one-second creates takes both to the
        // limit (the batch's guard is "at least" the sum and "below" each create's bound, not one off either way).
        var account = await NewAccountAsync(6 * Money.Unit);
        foreach (var earlier in Enumerable.Range(0, 2).Select(_ => NewTask(account: account.Id, seconds: 1)))
        {
            Assert.IsType<InsertOutcome.Created>(await Engine.Tasks.InsertAsync(earlier, HoldFor(earlier, maxInFlight: 6), Ct));
        }

        var tasks = Enumerable.Range(0, 4).Select(_ => NewTask(account: account.Id, seconds: 1)).ToList();
        var results = await InOneBatchAsync(tasks, terms: [.. tasks.Select(t => HoldFor(t, maxInFlight: 6))]);

        Assert.All(results, r => Assert.IsType<InsertOutcome.Created>(r.Outcome));
        var books = await BooksAsync(account.Id);
        Assert.Equal((0L, 6 * Money.Unit, 6), (books.Balance, books.Held, books.InFlight));
        Assert.Equal(6, await CountAsync("SELECT COUNT(*) FROM holds WHERE account_id = @id AND state = 'held';", account.Id));
    }

    [Fact]
    public async Task A_batch_one_create_over_a_limit_refuses_exactly_the_creates_alone_order_would_and_writes_the_others()
    {
        // Limits 10, 10, 3, 10 from one in flight: the third is the third in flight with a limit of 3 (refused), the
        // fourth then is the third again under a limit of 10 (let through), just as four creates one after another.
        var account = await NewAccountAsync(100 * Money.Unit);
        var first = NewTask(account: account.Id, seconds: 1);
        Assert.IsType<InsertOutcome.Created>(await Engine.Tasks.InsertAsync(first, HoldFor(first), Ct));
        int[] limits = [10, 10, 3, 10];
        var tasks = limits.Select(_ => NewTask(account: account.Id, seconds: 1)).ToList();

        var results = await InOneBatchAsync(tasks, terms: [.. tasks.Select((t, i) => HoldFor(t, maxInFlight: limits[i]))]);

        Assert.IsType<InsertOutcome.Created>(results[0].Outcome);
        Assert.IsType<InsertOutcome.Created>(results[1].Outcome);
        Assert.Equal(new HoldRefusal.TooManyInFlight(3), Assert.IsType<InsertOutcome.Refused>(results[2].Outcome).Reason);
        Assert.IsType<InsertOutcome.Created>(results[3].Outcome);
        Assert.Null(await Engine.Tasks.GetAsync(tasks[2].Id, null, Ct));
        var books = await BooksAsync(account.Id);
        Assert.Equal((96 * Money.Unit, 4 * Money.Unit, 4), (books.Balance, books.Held, books.InFlight));
        Assert.Equal(0, await CountAsync("SELECT COUNT(*) FROM holds WHERE task_id = @id;", tasks[2].Id));
    }

    [Fact]
    public async Task A_create_the_database_refuses_fails_alone_and_the_others_of_its_batch_are_written()
    {
        var account = await NewAccountAsync(100 * Money.Unit);
        var existing = NewTask(account: account.Id, seconds: 1);
        await Engine.Tasks.InsertAsync(existing, Ct);

        // The same id again: the task row's primary key refuses it, which fails the whole batch's transaction.
        var duplicate = NewTask(account: account.Id, seconds: 1) with { Id = existing.Id };
        var good = Enumerable.Range(0, 10).Select(_ => NewTask(account: account.Id, seconds: 1)).ToList();
        var results = await InOneBatchAsync([.. good.Take(5), duplicate, .. good.Skip(5)], expectFailure: duplicate);

        Assert.All(results.Where(r => r.Task != duplicate), r => Assert.IsType<InsertOutcome.Created>(r.Outcome));
        var books = await BooksAsync(account.Id);
        Assert.Equal((90 * Money.Unit, 10 * Money.Unit, 10), (books.Balance, books.Held, books.InFlight));
        Assert.Equal(10, await CountAsync("SELECT COUNT(*) FROM holds WHERE account_id = @id;", account.Id));
    }

    [Fact]
    public async Task Creates_with_one_idempotency_key_in_one_burst_make_one_task()
    {
        var account = await NewAccountAsync(100 * Money.Unit);
        var claim = new IdempotencyClaim("key-1", SHA256.HashData("request"u8));
        var other = new IdempotencyClaim("key-1", SHA256.HashData("another request"u8));
        var tasks = Enumerable.Range(0, 8).Select(_ => NewTask(account: account.Id, seconds: 1)).ToList();
        var terms = tasks.Select((t, i) => HoldFor(t, idempotency: i == 7 ? other : claim)).ToList();

        var results = await InOneBatchAsync(tasks, terms: terms);

        var created = Assert.Single(results, r => r.Outcome is InsertOutcome.Created);
        Assert.NotEqual(tasks[7], created.Task);
        Assert.All(results.Take(7).Where(r => r.Task != created.Task), r => Assert.Equal(new InsertOutcome.Existing(created.Task.Id), r.Outcome));
        Assert.IsType<InsertOutcome.KeyReused>(results[7].Outcome);
        var books = await BooksAsync(account.Id);
        Assert.Equal((99 * Money.Unit, Money.Unit, 1), (books.Balance, books.Held, books.InFlight));
    }

    /// <summary>
    /// Sends one create of a gate account, waits until its batch is blocked on that account's row (locked here), sends
    /// <paramref name="tasks"/> meanwhile, then lets go: they are written together in the next batch (as far as their
    /// idempotency keys allow).
    /// </summary>
    private async Task<List<(VideoTask Task, InsertOutcome? Outcome)>> InOneBatchAsync(
        List<VideoTask> tasks, VideoTask? expectFailure = null, List<HoldRequest>? terms = null)
    {
        var gate = await NewAccountAsync(10 * Money.Unit);
        var opener = NewTask(account: gate.Id, seconds: 1);
        await using var blocker = new NpgsqlConnection(ConnectionString);
        await blocker.OpenAsync(Ct);
        await using var transaction = await blocker.BeginTransactionAsync(Ct);
        await using (var lockRow = new NpgsqlCommand("SELECT 1 FROM accounts WHERE id = @id FOR UPDATE;", blocker))
        {
            lockRow.Parameters.AddWithValue("id", gate.Id);
            await lockRow.ExecuteScalarAsync(Ct);
        }

        var openerOutcome = Engine.Tasks.InsertAsync(opener, HoldFor(opener), Ct);
        await WaitForLockWaitAsync();
        var outcomes = tasks.Select((t, i) => Engine.Tasks.InsertAsync(t, terms?[i] ?? HoldFor(t), Ct)).ToList();
        await transaction.CommitAsync(Ct);

        Assert.IsType<InsertOutcome.Created>(await openerOutcome);
        var results = new List<(VideoTask, InsertOutcome?)>();
        for (var i = 0; i < tasks.Count; i++)
        {
            if (tasks[i] == expectFailure)
            {
                var error = await Assert.ThrowsAsync<PostgresException>(() => outcomes[i]);
                Assert.Equal(PostgresErrorCodes.UniqueViolation, error.SqlState);
                results.Add((tasks[i], null));
            }
            else
            {
                results.Add((tasks[i], await outcomes[i]));
            }
        }

        return results;
    }

    private async Task WaitForLockWaitAsync()
    {
        for (var i = 0; i < 600; i++)
        {
            if (await CountAsync("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND @id <> '';", "lock") > 0)
            {
                return;
            }

            await Task.Delay(20, Ct);
        }

        Assert.Fail("the first create's batch never waited for the account row");
    }

    private async Task<long> CountAsync(string sql, string id)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", id);
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }
}
