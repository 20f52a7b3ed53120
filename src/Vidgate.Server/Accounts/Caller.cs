using Vidgate.Server.Billing;

namespace Vidgate.Server.Accounts;

/// <summary>Who is calling: resolved from the API key once per request, with the plan it is billed and limited by.</summary>
internal sealed record Caller(string KeyId, string AccountId, bool IsAdmin)
{
    public Plan Plan { get; init; } = Plan.Unlimited;

    public DateTimeOffset? ExpiresAt { get; init; }
}

internal sealed record ApiKeyRecord(
    string Id, string AccountId, string Name, string Prefix, bool IsAdmin, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt)
{
    public int? RequestsPerMinute { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }
}

/// <summary>A key to issue: for a new account (with the configured credit) or for an existing one.</summary>
internal sealed record NewKey(string Name, bool IsAdmin, string? AccountId = null, int? RequestsPerMinute = null, DateTimeOffset? ExpiresAt = null);
