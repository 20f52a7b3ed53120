using Vidgate.Server.Billing;

namespace Vidgate.Server.Accounts;

/// <summary>Who is calling: resolved from the API key once per request, with the plan it is billed and limited by.</summary>
internal sealed record Caller(string KeyId, string AccountId, bool IsAdmin)
{
    public Plan Plan { get; init; } = Plan.Unlimited;

    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>The networks the key may be used from; null: anywhere.</summary>
    public IReadOnlyList<System.Net.IPNetwork>? AllowedIps { get; init; }
}

internal sealed record ApiKeyRecord(
    string Id, string AccountId, string Name, string Prefix, bool IsAdmin, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt)
{
    public int? RequestsPerMinute { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>The key's own model list (narrowing its tier's); null: the tier's.</summary>
    public IReadOnlyList<string>? AllowedModels { get; init; }

    /// <summary>CIDR networks the key may be used from; null: anywhere.</summary>
    public IReadOnlyList<string>? AllowedIps { get; init; }
}

/// <summary>A key to issue: for a new account (with the configured credit) or for an existing one.</summary>
internal sealed record NewKey(string Name, bool IsAdmin, string? AccountId = null, int? RequestsPerMinute = null, DateTimeOffset? ExpiresAt = null)
{
    public IReadOnlyList<string>? AllowedModels { get; init; }

    public IReadOnlyList<string>? AllowedIps { get; init; }
}

/// <summary>
/// A change of a key's own limits: its rate limit and expiry are always set (null clears); its model and IP lists only
/// when given (a <see cref="KeyList"/> with null values clears one), so a PATCH of the rate limit never drops an IP fence.
/// </summary>
internal sealed record KeyPatch(int? RequestsPerMinute, DateTimeOffset? ExpiresAt)
{
    public KeyList? AllowedModels { get; init; }

    public KeyList? AllowedIps { get; init; }
}

/// <summary>A list to store for a key; null <see cref="Values"/>: no limit of its own.</summary>
internal sealed record KeyList(IReadOnlyList<string>? Values);

/// <summary>A key of an account as its owner sees it: the record and when it last created a video (null: never).</summary>
internal sealed record AccountKey(ApiKeyRecord Key, DateTimeOffset? LastUsedAt);
