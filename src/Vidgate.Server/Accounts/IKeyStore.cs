namespace Vidgate.Server.Accounts;

/// <summary>Accounts and their API keys. Secrets are never stored, only their SHA-256.</summary>
internal interface IKeyStore
{
    /// <summary>Creates an account and a key for it in one transaction.</summary>
    Task<ApiKeyRecord> CreateAsync(string name, byte[] secretHash, string prefix, bool isAdmin, DateTimeOffset now, CancellationToken ct);

    /// <summary>The caller behind an unrevoked key, or null.</summary>
    Task<Caller?> FindActiveAsync(byte[] secretHash, CancellationToken ct);

    Task<IReadOnlyList<ApiKeyRecord>> ListAsync(CancellationToken ct);

    /// <summary>Revokes a key; null if there is no such key.</summary>
    Task<ApiKeyRecord?> RevokeAsync(string id, DateTimeOffset now, CancellationToken ct);

    Task<bool> AnyAsync(CancellationToken ct);

    /// <summary>A named server secret, created with <paramref name="create"/> on first use (e.g. the URL signing key).</summary>
    Task<string> GetOrCreateSettingAsync(string name, Func<string> create, CancellationToken ct);
}
