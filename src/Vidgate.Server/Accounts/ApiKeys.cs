using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Vidgate.Server.Accounts;

/// <summary>
/// Issues and checks API keys. A key is <c>vg_</c> + 32 random bytes (base64url); only its SHA-256 is stored
/// (a fast hash is right here: the secret has 256 bits of entropy, so there is nothing to brute-force).
/// Lookups (with the caller's plan) are cached for a few seconds; admin changes on this node drop the cache at once,
/// other nodes see them within <see cref="CacheFor"/>.
/// </summary>
internal sealed class ApiKeys(IKeyStore store, TimeProvider clock)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<string, (Caller? Caller, long Until)> _cache = new(StringComparer.Ordinal);

    public static string NewSecret() => "vg_" + Base64Url(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    /// <summary>What is shown instead of the secret: enough to recognise a key, useless to an attacker.</summary>
    public static string PrefixOf(string secret) => secret.Length <= 10 ? secret[..Math.Min(3, secret.Length)] : secret[..10];

    /// <summary>Issues a key; a null record means the named account does not exist.</summary>
    public async Task<(ApiKeyRecord? Record, string Secret)> CreateAsync(NewKey key, string? secret, CancellationToken ct)
    {
        secret ??= NewSecret();
        var record = await store.CreateAsync(key, Hash(secret), PrefixOf(secret), clock.GetUtcNow(), ct);
        return (record, secret);
    }

    /// <summary>After an admin changed keys, accounts or tiers: the next request of every key reads its plan afresh.</summary>
    public void Forget() => _cache.Clear();

    public async Task<Caller?> AuthenticateAsync(string secret, CancellationToken ct)
    {
        var now = clock.GetTimestamp();
        if (_cache.TryGetValue(secret, out var hit) && hit.Until > now)
        {
            return hit.Caller;
        }

        var caller = await store.FindActiveAsync(Hash(secret), ct);
        if (caller is not null)
        {
            // Only hits are cached: a flood of wrong keys must not grow the cache.
            _cache[secret] = (caller, now + (long)(CacheFor.TotalSeconds * clock.TimestampFrequency));
        }

        return caller;
    }

    public async Task<ApiKeyRecord?> RevokeAsync(string id, CancellationToken ct)
    {
        var record = await store.RevokeAsync(id, clock.GetUtcNow(), ct);
        if (record is not null)
        {
            foreach (var entry in _cache.Where(e => e.Value.Caller?.KeyId == id).ToList())
            {
                _cache.TryRemove(entry.Key, out _);
            }
        }

        return record;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
