using System.Data.Common;
using Vidgate.Server.Accounts;
using Vidgate.Server.Billing;
using Vidgate.Server.Models;
using Vidgate.Server.Providers.Registry;
using Vidgate.Server.Tasks;

namespace Vidgate.Tests.Data;

/// <summary>
/// One database engine under test, on a database of its own: every store seam the features define, wired as the server
/// wires them (the task store with Billing's <see cref="TaskMoney"/> as its participant). Each engine (SQLite today;
/// PostgreSQL later) subclasses this once, and runs every contract suite in this folder.
/// </summary>
internal abstract class StoreEngine : IDisposable
{
    public abstract ITaskStore Tasks { get; }

    public abstract IUpstreamJobStore UpstreamJobs { get; }

    public abstract IKeyStore Keys { get; }

    public abstract ILedger Ledger { get; }

    public abstract IBillingStore Billing { get; }

    public abstract IUpstreamConfigStore UpstreamConfig { get; }

    public abstract IModelStore Models { get; }

    /// <summary>A second, independent instance on the same database, as another node (or a restarted process) has.</summary>
    public abstract StoreEngine OpenAnother();

    /// <summary>Runs <paramref name="operation"/> inside one committed write, as a store runs its participant's work.</summary>
    public abstract Task<T> InWriteAsync<T>(Func<DbConnection, ValueTask<T>> operation);

    public abstract void Dispose();
}

/// <summary>What every contract suite shares: the engine, a fixed clock reading and task/account builders.</summary>
public abstract class StoreContract : IDisposable
{
    internal static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-06-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    private protected StoreContract(StoreEngine engine) => Engine = engine;

    private protected StoreEngine Engine { get; }

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static VideoTask NewTask(string account = "acct_a", string provider = "builtin", DateTimeOffset? at = null, int seconds = 6) => new()
    {
        Id = VideoTask.NewId(),
        AccountId = account,
        KeyId = "key_a",
        Dialect = Dialect.Seed,
        Model = "grok-imagine-video",
        Prompt = "p",
        Seconds = seconds,
        Width = 1280,
        Height = 720,
        AspectRatio = "16:9",
        Resolution = "720P",
        Provider = provider,
        CreatedAt = at ?? Now,
        InputKeys = ["inputs/x/0.png"],
    };

    /// <summary>A metered account on the default tier with <paramref name="balance"/> micro-units of credit.</summary>
    internal async Task<Account> NewAccountAsync(long balance)
    {
        var account = (await Engine.Billing.CreateAccountAsync("test", "default", unmetered: false, Ct))!;
        if (balance > 0)
        {
            Assert.Equal(BalanceChange.Done, (await Engine.Billing.ChangeBalanceAsync(account.Id, "credit", balance, "test credit", Ct)).Result);
        }

        return account;
    }

    /// <summary>What creating <paramref name="task"/> holds: 1.000000 per second, no image fee, list prices.</summary>
    internal static HoldRequest HoldFor(VideoTask task, int? maxInFlight = null, IdempotencyClaim? idempotency = null) => new(
        task.Id, task.AccountId, task.KeyId, task.Model, 720, task.Seconds, 0, new Price(Money.Unit, 0),
        new Plan("default", Money.Unit, null, null, null, null, maxInFlight, Unmetered: false))
    {
        Idempotency = idempotency,
    };

    /// <summary>The account, asserting the ledger invariant: its running balance equals the one recomputed from the ledger.</summary>
    internal async Task<Account> BooksAsync(string accountId)
    {
        var (account, ledgerBalance) = (await Engine.Billing.GetAccountWithLedgerAsync(accountId, Ct))!.Value;
        Assert.Equal(account.Balance, ledgerBalance);
        return account;
    }

    public void Dispose()
    {
        Engine.Dispose();
        GC.SuppressFinalize(this);
    }
}
