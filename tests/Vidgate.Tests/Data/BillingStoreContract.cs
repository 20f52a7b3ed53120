using System.Security.Cryptography;
using Vidgate.Server.Billing;
using Vidgate.Server.Tasks;

namespace Vidgate.Tests.Data;

/// <summary>
/// Billing's stores (<see cref="ILedger"/> inside the task store's writes, and <see cref="IBillingStore"/>), on any
/// engine: a hold is taken with its task or not at all, settled or released exactly once, concurrent creates never
/// overdraw, an idempotency key reused with a different request is refused, and the ledger always explains the balance.
/// </summary>
public abstract class BillingStoreContract : StoreContract
{
    private static readonly string[] Builtin = ["builtin"];

    private protected BillingStoreContract(StoreEngine engine)
        : base(engine)
    {
    }

    private ITaskStore Tasks => Engine.Tasks;

    private static long Units(long n) => n * Money.Unit;

    private async Task<VideoTask> CreatedAsync(string accountId, int seconds = 6, int? maxInFlight = null)
    {
        var task = NewTask(account: accountId, seconds: seconds);
        Assert.IsType<InsertOutcome.Created>(await Tasks.InsertAsync(task, HoldFor(task, maxInFlight), Ct));
        return task;
    }

    [Fact]
    public async Task A_create_holds_its_cost_with_the_task_and_a_refused_hold_writes_nothing()
    {
        var account = await NewAccountAsync(Units(10));
        await CreatedAsync(account.Id);
        var afterFirst = await BooksAsync(account.Id);
        Assert.Equal((Units(4), Units(6), 1), (afterFirst.Balance, afterFirst.Held, afterFirst.InFlight));

        var refused = NewTask(account: account.Id);
        var outcome = Assert.IsType<InsertOutcome.Refused>(await Tasks.InsertAsync(refused, HoldFor(refused), Ct));
        Assert.Equal(new HoldRefusal.Insufficient(Units(6), Units(4)), outcome.Reason);
        Assert.Null(await Tasks.GetAsync(refused.Id, null, Ct));
        Assert.Equal(afterFirst, await BooksAsync(account.Id));
    }

    [Fact]
    public async Task A_hold_beyond_the_in_flight_limit_or_for_no_account_is_refused()
    {
        var account = await NewAccountAsync(Units(100));
        await CreatedAsync(account.Id, maxInFlight: 1);
        var second = NewTask(account: account.Id);
        var refused = Assert.IsType<InsertOutcome.Refused>(await Tasks.InsertAsync(second, HoldFor(second, maxInFlight: 1), Ct));
        Assert.Equal(new HoldRefusal.TooManyInFlight(1), refused.Reason);

        var orphan = NewTask(account: "acct_missing");
        Assert.Equal(new HoldRefusal.NoAccount(), Assert.IsType<InsertOutcome.Refused>(await Tasks.InsertAsync(orphan, HoldFor(orphan), Ct)).Reason);
    }

    [Fact]
    public async Task Concurrent_creates_against_one_account_never_overdraw_it()
    {
        var account = await NewAccountAsync(Units(10));
        var tasks = Enumerable.Range(0, 25).Select(_ => NewTask(account: account.Id, seconds: 1)).ToList();
        var outcomes = await Task.WhenAll(tasks.Select(t => Tasks.InsertAsync(t, HoldFor(t), Ct)));
        Assert.Equal(10, outcomes.Count(o => o is InsertOutcome.Created));
        var books = await BooksAsync(account.Id);
        Assert.Equal((0L, Units(10), 10), (books.Balance, books.Held, books.InFlight));
    }

    [Fact]
    public async Task A_completed_task_is_charged_for_what_was_delivered_exactly_once()
    {
        var account = await NewAccountAsync(Units(10));
        var task = await CreatedAsync(account.Id);
        await Tasks.TryClaimAsync(Builtin, "owner", Now, Now.AddSeconds(30), Ct);

        // The provider made 4 of the 6 seconds asked: 4 are charged, 2 given back.
        Assert.True(await Tasks.CompleteAsync(task.Id, "owner", Now, null, actualSeconds: 4, Ct));
        Assert.False(await Tasks.CompleteAsync(task.Id, "owner", Now, null, actualSeconds: 4, Ct));
        Assert.False((await Tasks.CancelAsync(task.Id, account.Id, Now, Ct)).Changed);

        var books = await BooksAsync(account.Id);
        Assert.Equal((Units(6), 0L, 0), (books.Balance, books.Held, books.InFlight));
        var (ledger, _) = await Engine.Billing.LedgerAsync(account.Id, 0, 100, Ct);
        var charge = Assert.Single(ledger, e => e.Kind == "charge");
        Assert.Equal((-Units(4), task.Id), (charge.Amount, charge.TaskId));
    }

    [Fact]
    public async Task A_failed_or_cancelled_task_gives_the_whole_hold_back_exactly_once()
    {
        var account = await NewAccountAsync(Units(20));
        var failed = await CreatedAsync(account.Id);
        var cancelled = await CreatedAsync(account.Id);
        await Tasks.TryClaimAsync(Builtin, "owner", Now, Now.AddSeconds(30), Ct);
        Assert.True(await Tasks.FailAsync(failed.Id, "owner", "x", "y", Now, Ct));
        Assert.True((await Tasks.CancelAsync(cancelled.Id, account.Id, Now, Ct)).Changed);
        Assert.False((await Tasks.CancelAsync(failed.Id, account.Id, Now, Ct)).Changed);
        Assert.False(await Tasks.FailAsync(failed.Id, "owner", "x", "y", Now, Ct));

        var books = await BooksAsync(account.Id);
        Assert.Equal((Units(20), 0L, 0), (books.Balance, books.Held, books.InFlight));
        Assert.DoesNotContain((await Engine.Billing.LedgerAsync(account.Id, 0, 100, Ct)).Page, e => e.Kind == "charge");
    }

    [Fact]
    public async Task Racing_endings_close_the_hold_once_either_charged_or_given_back()
    {
        var account = await NewAccountAsync(Units(60));
        var tasks = new List<VideoTask>();
        for (var i = 0; i < 8; i++)
        {
            tasks.Add(await CreatedAsync(account.Id));
            await Tasks.TryClaimAsync(Builtin, "owner", Now, Now.AddSeconds(30), Ct);
        }

        await Task.WhenAll(tasks.SelectMany(t => new Task[]
        {
            Tasks.CompleteAsync(t.Id, "owner", Now, null, Ct),
            Tasks.CancelAsync(t.Id, account.Id, Now, Ct),
            Tasks.FailAsync(t.Id, "owner", "x", "y", Now, Ct),
        }));

        var completed = 0;
        foreach (var task in tasks)
        {
            completed += (await Tasks.GetAsync(task.Id, null, Ct))!.Status == VideoStatus.Completed ? 1 : 0;
        }

        var books = await BooksAsync(account.Id);
        Assert.Equal((Units(60) - (completed * Units(6)), 0L, 0), (books.Balance, books.Held, books.InFlight));
    }

    [Fact]
    public async Task A_task_requeued_after_its_node_died_keeps_its_one_hold()
    {
        var account = await NewAccountAsync(Units(10));
        var task = await CreatedAsync(account.Id);
        await Tasks.TryClaimAsync(Builtin, "dead-node", Now, Now.AddSeconds(30), Ct);
        Assert.Equal(1, await Tasks.RequeueLapsedAsync(Now.AddSeconds(31), Ct));
        await Tasks.TryClaimAsync(Builtin, "live-node", Now.AddSeconds(31), Now.AddSeconds(61), Ct);
        Assert.Equal((Units(6), 1), ((await BooksAsync(account.Id)).Held, (await BooksAsync(account.Id)).InFlight));
        Assert.True(await Tasks.CompleteAsync(task.Id, "live-node", Now, null, Ct));
        Assert.Equal(Units(4), (await BooksAsync(account.Id)).Balance);
    }

    [Fact]
    public async Task A_hold_is_closed_once_whoever_asks_and_a_missing_one_moves_nothing()
    {
        var account = await NewAccountAsync(Units(10));
        var task = await CreatedAsync(account.Id);
        var ledger = Engine.Ledger;
        Assert.Equal(new HoldClosed(0, Units(6)), await Engine.InWriteAsync(c => ledger.ReleaseAsync(c, task.Id, "failed", Now, Ct)));
        Assert.Null(await Engine.InWriteAsync(c => ledger.ReleaseAsync(c, task.Id, "failed", Now, Ct)));
        Assert.Null(await Engine.InWriteAsync(c => ledger.SettleAsync(c, task.Id, null, Now, Ct)));
        Assert.Null(await Engine.InWriteAsync(c => ledger.SettleAsync(c, "video_missing", null, Now, Ct)));
        Assert.Equal(Units(10), (await BooksAsync(account.Id)).Balance);
    }

    [Fact]
    public async Task An_idempotency_key_answers_with_its_task_and_refuses_a_different_request()
    {
        var account = await NewAccountAsync(Units(100));
        var hash = SHA256.HashData("request one"u8);
        var claim = new IdempotencyClaim("key-1", hash);
        var first = NewTask(account: account.Id);
        Assert.IsType<InsertOutcome.Created>(await Tasks.InsertAsync(first, HoldFor(first, idempotency: claim), Ct));

        var retry = NewTask(account: account.Id);
        Assert.Equal(new InsertOutcome.Existing(first.Id), await Tasks.InsertAsync(retry, HoldFor(retry, idempotency: claim), Ct));
        var other = NewTask(account: account.Id);
        var otherClaim = new IdempotencyClaim("key-1", SHA256.HashData("request two"u8));
        Assert.IsType<InsertOutcome.KeyReused>(await Tasks.InsertAsync(other, HoldFor(other, idempotency: otherClaim), Ct));

        // Neither wrote a task or a hold; another account may use the same key.
        Assert.Null(await Tasks.GetAsync(retry.Id, null, Ct));
        Assert.Null(await Tasks.GetAsync(other.Id, null, Ct));
        Assert.Equal(Units(6), (await BooksAsync(account.Id)).Held);
        var stranger = await NewAccountAsync(Units(100));
        var theirs = NewTask(account: stranger.Id);
        Assert.IsType<InsertOutcome.Created>(await Tasks.InsertAsync(theirs, HoldFor(theirs, idempotency: claim), Ct));

        var entry = (await Engine.Billing.FindIdempotencyAsync(account.Id, "key-1", Ct))!;
        Assert.Equal(first.Id, entry.TaskId);
        Assert.Equal(hash, entry.RequestHash);
    }

    [Fact]
    public async Task Concurrent_duplicates_of_an_idempotency_key_make_exactly_one_task()
    {
        var account = await NewAccountAsync(Units(100));
        var claim = new IdempotencyClaim("key-1", SHA256.HashData("request"u8));
        var tasks = Enumerable.Range(0, 10).Select(_ => NewTask(account: account.Id)).ToList();
        var outcomes = await Task.WhenAll(tasks.Select(t => Tasks.InsertAsync(t, HoldFor(t, idempotency: claim), Ct)));
        Assert.Single(outcomes, o => o is InsertOutcome.Created);
        var created = tasks[Array.FindIndex(outcomes, o => o is InsertOutcome.Created)];
        Assert.All(outcomes.Where(o => o is not InsertOutcome.Created), o => Assert.Equal(new InsertOutcome.Existing(created.Id), o));
        Assert.Equal(Units(6), (await BooksAsync(account.Id)).Held);
    }

    [Fact]
    public async Task Idempotency_keys_older_than_their_lifetime_are_forgotten()
    {
        var account = await NewAccountAsync(Units(100));
        var claim = new IdempotencyClaim("key-1", SHA256.HashData("request"u8));
        var first = NewTask(account: account.Id, at: Now);
        await Tasks.InsertAsync(first, HoldFor(first, idempotency: claim), Ct);

        Assert.Equal(0, await Engine.Billing.SweepIdempotencyAsync(Now, Ct));
        Assert.Equal(1, await Engine.Billing.SweepIdempotencyAsync(Now.AddMilliseconds(1), Ct));
        Assert.Null(await Engine.Billing.FindIdempotencyAsync(account.Id, "key-1", Ct));
        var later = NewTask(account: account.Id);
        Assert.IsType<InsertOutcome.Created>(await Tasks.InsertAsync(later, HoldFor(later, idempotency: claim), Ct));
    }

    [Fact]
    public async Task Top_ups_and_adjustments_are_in_the_ledger_and_an_adjustment_never_makes_a_debt()
    {
        var account = await NewAccountAsync(Units(5));
        Assert.Equal(BalanceChange.WouldGoNegative, (await Engine.Billing.ChangeBalanceAsync(account.Id, "adjust", -Units(6), "too much", Ct)).Result);
        var (result, adjusted) = await Engine.Billing.ChangeBalanceAsync(account.Id, "adjust", -Units(2), "correction", Ct);
        Assert.Equal((BalanceChange.Done, Units(3)), (result, adjusted!.Balance));
        Assert.Equal(BalanceChange.NoAccount, (await Engine.Billing.ChangeBalanceAsync("acct_missing", "credit", 1, "x", Ct)).Result);

        var (page1, more) = await Engine.Billing.LedgerAsync(account.Id, 0, 1, Ct);
        Assert.True(more);
        var (page2, none) = await Engine.Billing.LedgerAsync(account.Id, page1[0].Seq, 10, Ct);
        Assert.False(none);
        Assert.Equal([("credit", Units(5)), ("adjust", -Units(2))], page1.Concat(page2).Select(e => (e.Kind, e.Amount)));
        await BooksAsync(account.Id);
    }

    [Fact]
    public async Task Accounts_tiers_and_prices_round_trip()
    {
        Assert.Null(await Engine.Billing.CreateAccountAsync("x", "no-such-tier", unmetered: false, Ct));
        var tier = await Engine.Billing.UpsertTierAsync(new Tier("pro", 2 * Money.Unit, ["sora-2"], 20, 1080, 120, 4, Now), Ct);
        Assert.Equal(("pro", 2 * Money.Unit, 4), (tier.Id, tier.PriceMultiplier, tier.MaxInFlight));
        Assert.Equal(["sora-2"], tier.AllowedModels);
        Assert.Contains(await Engine.Billing.ListTiersAsync(Ct), t => t.Id == "pro");

        var account = (await Engine.Billing.CreateAccountAsync("x", "pro", unmetered: false, Ct))!;
        Assert.True((await Engine.Billing.UpdateAccountAsync(account.Id, null, "no-such-tier", null, Ct)).TierMissing);
        var (updated, _) = await Engine.Billing.UpdateAccountAsync(account.Id, "renamed", "default", true, Ct);
        Assert.Equal(("renamed", "default", true), (updated!.Name, updated.TierId, updated.Unmetered));
        Assert.Null((await Engine.Billing.UpdateAccountAsync("acct_missing", "n", null, null, Ct)).Account);
        Assert.Equal(updated, await Engine.Billing.GetAccountAsync(account.Id, Ct));
        Assert.Contains(updated, await Engine.Billing.ListAccountsAsync(Ct));

        await Engine.Billing.UpsertPriceAsync("test-model", 720, 123, 45, Ct);
        Assert.Contains(await Engine.Billing.PricesAsync(Ct), p => (p.Model, p.Resolution, p.PerSecond, p.PerImage) == ("test-model", 720, 123L, 45L));
        Assert.True(await Engine.Billing.DeletePriceAsync("test-model", 720, Ct));
        Assert.False(await Engine.Billing.DeletePriceAsync("test-model", 720, Ct));
    }
}

/// <summary>The billing store contract on SQLite.</summary>
public sealed class SqliteBillingStoreTests() : BillingStoreContract(new SqliteEngine());
