namespace Vidgate.Contracts;

// Money on the wire is always an integer number of micro-units of the operator's currency (1.00 = 1000000), in fields
// named *_micros: exact, and never confused with whole units.

/// <summary>An account: its tier, what it may still spend, and what is held for unfinished videos.</summary>
public sealed record AccountInfo(
    string Id, string Object, string Name, string Tier, bool Unmetered, long BalanceMicros, long HeldMicros, int InFlight, long CreatedAt,
    long? LedgerBalanceMicros = null);

public sealed record CreateAccountRequest(string? Name, string? Tier, bool? Unmetered);

public sealed record UpdateAccountRequest(string? Name, string? Tier, bool? Unmetered);

/// <summary>A top-up (positive) or an adjustment (signed); the reason is kept in the ledger.</summary>
public sealed record BalanceChangeRequest(long? AmountMicros, string? Reason);

public sealed record LedgerEntryInfo(long Seq, string Object, string AccountId, string Kind, long AmountMicros, string? TaskId, string? Reason, long CreatedAt);

public sealed record LedgerPage(string Object, IReadOnlyList<LedgerEntryInfo> Data, bool HasMore);

/// <summary>A tier: price multiplier (1.0 = list price) and limits; null = no limit.</summary>
public sealed record TierInfo(
    string Id, string Object, decimal PriceMultiplier, IReadOnlyList<string>? AllowedModels, int? MaxSeconds, int? MaxResolution,
    int? RequestsPerMinute, int? MaxInFlight, long UpdatedAt);

public sealed record TierRequest(
    decimal? PriceMultiplier, IReadOnlyList<string>? AllowedModels, int? MaxSeconds, int? MaxResolution, int? RequestsPerMinute, int? MaxInFlight);

/// <summary>A list price: per second of output at one resolution (short side in pixels, e.g. 720), plus per input image.</summary>
public sealed record PriceInfo(string Model, string Object, int Resolution, long PerSecondMicros, long PerImageMicros, long UpdatedAt);

public sealed record PriceRequest(string? Model, int? Resolution, long? PerSecondMicros, long? PerImageMicros);

/// <summary>In <c>GET /v1/models</c>: what this caller pays, its tier's multiplier already applied.</summary>
public sealed record ModelPrice(string Resolution, long PerSecondMicros, long PerImageMicros);

/// <summary>One usage row: an account's key, a model, a UTC day.</summary>
public sealed record UsageRow(
    string AccountId, string KeyId, string Model, string Day, int Tasks, int Completed, int Failed, int Cancelled, int Other, int InFlight,
    long SecondsGenerated, long ChargedMicros, long RefundedMicros, long HeldMicros);

public sealed record UsageReport(string Object, string? AccountId, long? BalanceMicros, long? HeldMicros, IReadOnlyList<UsageRow> Data);
