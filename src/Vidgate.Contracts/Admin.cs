namespace Vidgate.Contracts;

/// <summary>Without <see cref="AccountId"/> the key gets a new account (default tier, the configured credit).</summary>
public sealed record CreateKeyRequest(
    string? Name, string? AccountId = null, int? RequestsPerMinute = null, long? ExpiresAt = null,
    IReadOnlyList<string>? AllowedModels = null, IReadOnlyList<string>? AllowedIps = null);

/// <summary>
/// A key's own limits: creates per minute (narrows its tier's) and expiry (Unix seconds); null clears. The model list
/// (narrows the tier's) and the IP fence (CIDR blocks) change only when present; null or [] removes them.
/// </summary>
public sealed record UpdateKeyRequest(int? RequestsPerMinute, long? ExpiresAt, IReadOnlyList<string>? AllowedModels = null, IReadOnlyList<string>? AllowedIps = null);

/// <summary>A key as listed by the admin API: never carries the secret.</summary>
public sealed record ApiKeyInfo(
    string Id, string Object, string Name, string AccountId, bool Admin, string Prefix, long CreatedAt, long? RevokedAt,
    int? RequestsPerMinute = null, long? ExpiresAt = null, IReadOnlyList<string>? AllowedModels = null, IReadOnlyList<string>? AllowedIps = null);

/// <summary>Returned once, at creation: <see cref="Key"/> is the secret and is never shown again.</summary>
public sealed record ApiKeyCreated(string Id, string Object, string Name, string AccountId, bool Admin, string Prefix, long CreatedAt, string Key);

public sealed record ListOf<T>(string Object, IReadOnlyList<T> Data);

public sealed record Health(string Status, IReadOnlyDictionary<string, string>? Checks = null);
