namespace Vidgate.Server.Billing;

internal sealed record Account(
    string Id, string Name, string TierId, bool Unmetered, long Balance, long Held, int InFlight, DateTimeOffset CreatedAt);

internal sealed record Tier(
    string Id, long PriceMultiplier, IReadOnlyList<string>? AllowedModels, int? MaxSeconds, int? MaxResolution,
    int? RequestsPerMinute, int? MaxInFlight, DateTimeOffset UpdatedAt);

internal sealed record LedgerEntry(long Seq, string AccountId, string Kind, long Amount, string? TaskId, string? Reason, DateTimeOffset CreatedAt);

/// <summary>Which usage rows to report; null = all.</summary>
internal sealed record UsageFilter(string? AccountId, string? KeyId, string? Model, DateOnly? From, DateOnly? To);

/// <summary>Outcome of a top-up or adjustment.</summary>
internal enum BalanceChange
{
    Done,
    NoAccount,
    WouldGoNegative,
}
