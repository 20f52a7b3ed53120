namespace Vidgate.Server.Billing;

internal sealed record Account(
    string Id, string Name, string TierId, bool Unmetered, long Balance, long Held, int InFlight, DateTimeOffset CreatedAt);

internal sealed record Tier(
    string Id, long PriceMultiplier, IReadOnlyList<string>? AllowedModels, int? MaxSeconds, int? MaxResolution,
    int? RequestsPerMinute, int? MaxInFlight, DateTimeOffset UpdatedAt);

internal sealed record LedgerEntry(long Seq, string AccountId, string Kind, long Amount, string? TaskId, string? Reason, DateTimeOffset CreatedAt);

/// <summary>Which usage rows to report; null = all.</summary>
internal sealed record UsageFilter(string? AccountId, string? KeyId, string? Model, DateOnly? From, DateOnly? To);

/// <summary>
/// What the upstreams said a usage group's videos cost us: <see cref="Ticks"/> in USD ticks (1 USD = 10,000,000,000),
/// summed exactly over the <see cref="Tasks"/> tasks whose upstream reported a cost (the others are not in the sum).
/// </summary>
internal readonly record struct UpstreamCost(Int128 Ticks, int Tasks)
{
    /// <summary>Exact decimal USD with all ten tick digits, e.g. <c>1.2500000000</c>.</summary>
    public string Usd => Money.FormatUsdTicks(Ticks);
}

/// <summary>A usage row (the users' wire type) and, for operators only, its upstream cost.</summary>
internal sealed record UsageLine(Vidgate.Contracts.UsageRow Row, UpstreamCost UpstreamCost);

/// <summary>
/// Revenue against upstream cost for one UTC day, model and provider instance (<see cref="Provider"/> null: unknown, the
/// video was deleted). <see cref="Charged"/> is every task's charge; the tasks whose upstream reported a cost are
/// <see cref="CostedTasks"/> (charged <see cref="CostedCharged"/>, costing <see cref="CostTicks"/> USD ticks); charged tasks
/// without a reported cost are <see cref="UnknownTasks"/> (charged <see cref="UnknownCharged"/>), never counted as free.
/// </summary>
internal sealed record MarginLine(
    string Day, string Model, string? Provider, int Tasks, long Charged, int CostedTasks, long CostedCharged, Int128 CostTicks, int UnknownTasks, long UnknownCharged);

/// <summary>Outcome of a top-up or adjustment.</summary>
internal enum BalanceChange
{
    Done,
    NoAccount,
    WouldGoNegative,
}
