namespace Vidgate.Server.Accounts;

/// <summary>Accounts and their API keys. Secrets are never stored, only their SHA-256.</summary>
internal interface IKeyStore
{
    /// <summary>
    /// Creates a key, and (without <see cref="NewKey.AccountId"/>) its account, in one transaction: an admin's account is
    /// unmetered, any other gets the configured tier and credit. Null if the named account does not exist.
    /// </summary>
    Task<ApiKeyRecord?> CreateAsync(NewKey key, byte[] secretHash, string prefix, DateTimeOffset now, CancellationToken ct);

    /// <summary>The caller behind an unrevoked key, with its plan, or null.</summary>
    Task<Caller?> FindActiveAsync(byte[] secretHash, CancellationToken ct);

    Task<IReadOnlyList<ApiKeyRecord>> ListAsync(CancellationToken ct);

    /// <summary>
    /// One account's keys (revoked ones too), oldest first, each with the time it last created a video (from the usage
    /// records, which are kept when a video is deleted); null: never.
    /// </summary>
    Task<IReadOnlyList<AccountKey>> ListForAccountAsync(string accountId, CancellationToken ct);

    /// <summary>Revokes a key; null if there is no such key.</summary>
    Task<ApiKeyRecord?> RevokeAsync(string id, DateTimeOffset now, CancellationToken ct);

    /// <summary>Sets a key's own rate limit and expiry (null clears); null if there is no such key.</summary>
    Task<ApiKeyRecord?> UpdateLimitsAsync(string id, int? requestsPerMinute, DateTimeOffset? expiresAt, CancellationToken ct)
        => UpdateAsync(id, new KeyPatch(requestsPerMinute, expiresAt), ct);

    /// <summary>Sets a key's own limits in one write (its allowed models and IPs only when the patch names them); null if there is no such key.</summary>
    Task<ApiKeyRecord?> UpdateAsync(string id, KeyPatch patch, CancellationToken ct);

    Task<bool> AnyAsync(CancellationToken ct);

    /// <summary>A named server secret, created with <paramref name="create"/> on first use (e.g. the URL signing key).</summary>
    Task<string> GetOrCreateSettingAsync(string name, Func<string> create, CancellationToken ct);
}
