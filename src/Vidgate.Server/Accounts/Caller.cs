namespace Vidgate.Server.Accounts;

/// <summary>Who is calling: resolved from the API key once per request.</summary>
internal sealed record Caller(string KeyId, string AccountId, bool IsAdmin);

internal sealed record ApiKeyRecord(
    string Id, string AccountId, string Name, string Prefix, bool IsAdmin, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);
