using Vidgate.Server.Tasks;

namespace Vidgate.Server.Billing;

/// <summary>
/// Accounts, tiers, prices, ledger and usage (the admin side of billing), one implementation per engine in <c>Data/</c>.
/// The money moved by tasks goes through <see cref="ILedger"/> inside the task store's writes instead.
/// </summary>
internal interface IBillingStore
{
    Task<Idempotency.Entry?> FindIdempotencyAsync(string accountId, string key, CancellationToken ct);

    /// <summary>Forgets keys recorded before <paramref name="olderThan"/>; returns how many.</summary>
    Task<int> SweepIdempotencyAsync(DateTimeOffset olderThan, CancellationToken ct);

    /// <summary>Null: the tier does not exist.</summary>
    Task<Account?> CreateAccountAsync(string name, string tier, bool unmetered, CancellationToken ct);

    /// <summary>Null fields are left as they are. Null: no such account; the tier must exist.</summary>
    Task<(Account? Account, bool TierMissing)> UpdateAccountAsync(string id, string? name, string? tier, bool? unmetered, CancellationToken ct);

    Task<Account?> GetAccountAsync(string id, CancellationToken ct);

    /// <summary>
    /// What closing the task's hold moved (charged, given back); null while it is open or when the task has none. Read by
    /// whoever ended the task (it got <c>true</c> from the store) to count the money in <c>/metrics</c>.
    /// </summary>
    Task<HoldClosed?> ClosedHoldAsync(string taskId, CancellationToken ct);

    Task<IReadOnlyList<Account>> ListAccountsAsync(CancellationToken ct);

    /// <summary>
    /// The account and its balance recomputed from the ledger and the open holds, read in one snapshot: the two are
    /// equal unless something is wrong.
    /// </summary>
    Task<(Account Account, long LedgerBalance)?> GetAccountWithLedgerAsync(string id, CancellationToken ct);

    /// <summary>
    /// A top-up (<c>credit</c>) or a signed <c>adjust</c>ment, with its reason in the ledger. An adjustment may not take a
    /// metered account below zero: an operator correcting a balance must not create a debt by accident.
    /// </summary>
    Task<(BalanceChange Result, Account? Account)> ChangeBalanceAsync(string accountId, string kind, long amount, string reason, CancellationToken ct);

    Task<(IReadOnlyList<LedgerEntry> Page, bool HasMore)> LedgerAsync(string accountId, long after, int limit, CancellationToken ct);

    Task<Tier> UpsertTierAsync(Tier tier, CancellationToken ct);

    Task<IReadOnlyList<Tier>> ListTiersAsync(CancellationToken ct);

    /// <summary>Every price, by model then resolution.</summary>
    Task<IReadOnlyList<PriceRow>> PricesAsync(CancellationToken ct);

    Task UpsertPriceAsync(string model, int resolution, long perSecond, long perImage, CancellationToken ct);

    Task<bool> DeletePriceAsync(string model, int resolution, CancellationToken ct);

    /// <summary>
    /// Usage by account, key, model and UTC day (of the create), from the holds: one per task, closed once. Read from the
    /// daily rollup the engine keeps with every hold change (so its cost does not grow with the tasks ever made), equal to
    /// the holds' aggregate. Each row carries the upstream cost of its tasks, summed exactly.
    /// </summary>
    Task<IReadOnlyList<UsageLine>> UsageAsync(UsageFilter filter, CancellationToken ct);

    /// <summary>
    /// Revenue and upstream cost by UTC day (of the create), model and provider instance, from the holds (the provider from
    /// the task's upstream job, else its planned provider, while the video exists). Only <see cref="UsageFilter.AccountId"/>,
    /// <see cref="UsageFilter.Model"/> and the days of the filter apply.
    /// </summary>
    Task<IReadOnlyList<MarginLine>> MarginAsync(UsageFilter filter, CancellationToken ct);
}
