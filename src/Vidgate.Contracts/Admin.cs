namespace Vidgate.Contracts;

public sealed record CreateKeyRequest(string? Name);

/// <summary>A key as listed by the admin API: never carries the secret.</summary>
public sealed record ApiKeyInfo(string Id, string Object, string Name, string AccountId, bool Admin, string Prefix, long CreatedAt, long? RevokedAt);

/// <summary>Returned once, at creation: <see cref="Key"/> is the secret and is never shown again.</summary>
public sealed record ApiKeyCreated(string Id, string Object, string Name, string AccountId, bool Admin, string Prefix, long CreatedAt, string Key);

public sealed record ListOf<T>(string Object, IReadOnlyList<T> Data);

public sealed record Health(string Status, IReadOnlyDictionary<string, string>? Checks = null);
