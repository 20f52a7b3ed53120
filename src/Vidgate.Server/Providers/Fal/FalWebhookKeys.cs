using System.Collections.Concurrent;
using System.Text.Json;

namespace Vidgate.Server.Providers.Fal;

/// <summary>
/// fal's webhook public keys (Ed25519), read from a JWKS URL through the SSRF guard and kept per URL for every fal
/// instance on the node: fetched on the first signed callback, kept <see cref="Keep"/>, fetched again sooner (at most once
/// per <see cref="MinRefetch"/>) when no kept key verifies a callback, so a rotation is picked up without letting a flood
/// of forged callbacks turn into a flood of fetches. A failed fetch keeps the keys already held.
/// </summary>
internal sealed partial class FalWebhookKeys(IGuardedFetcher fetcher, TimeProvider clock, ILogger<FalWebhookKeys> logger)
{
    /// <summary>Where fal's documentation publishes the keys.</summary>
    public static readonly Uri DefaultJwksUrl = new("https://rest.alpha.fal.ai/.well-known/jwks.json");

    public static readonly TimeSpan Keep = TimeSpan.FromHours(1);

    public static readonly TimeSpan MinRefetch = TimeSpan.FromMinutes(1);

    private const int MaxJwksBytes = 64 * 1024;

    private static readonly TimeSpan FetchTimeout = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, Slot> _slots = new(StringComparer.Ordinal);

    /// <summary>
    /// The keys of <paramref name="url"/>; <paramref name="refresh"/>: the kept ones did not verify a callback, so fetch again
    /// if the last fetch is at least <see cref="MinRefetch"/> old.
    /// </summary>
    public async Task<IReadOnlyList<byte[]>> KeysAsync(Uri url, bool refresh, CancellationToken ct)
    {
        var slot = _slots.GetOrAdd(url.AbsoluteUri, static _ => new Slot());
        if (Current(slot, refresh) is { } kept)
        {
            return kept;
        }

        await slot.Gate.WaitAsync(ct);
        try
        {
            // Another callback may have fetched while this one waited.
            if (Current(slot, refresh) is { } fetched)
            {
                return fetched;
            }

            var keys = await FetchAsync(url, ct);
            var entry = new Entry(keys ?? slot.Entry?.Keys ?? [], clock.GetUtcNow());
            slot.Entry = entry;
            return entry.Keys;
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    /// <summary>The Ed25519 keys of a JWKS document (<c>kty</c> OKP, <c>crv</c> Ed25519, <c>x</c> base64url), or null when it is not one.</summary>
    public static IReadOnlyList<byte[]>? Parse(JsonElement jwks)
    {
        if (jwks.ValueKind != JsonValueKind.Object || !jwks.TryGetProperty("keys", out var keys) || keys.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var found = new List<byte[]>();
        foreach (var key in keys.EnumerateArray())
        {
            if (key.ValueKind == JsonValueKind.Object && Text(key, "kty") == "OKP" && Text(key, "crv") == "Ed25519" && Decode(Text(key, "x")) is { } x)
            {
                found.Add(x);
            }
        }

        return found;
    }

    /// <summary>A 32-byte public key written as base64url, base64 or hex; null when it is none of those.</summary>
    public static byte[]? Decode(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (text.Length == 64 && text.All(Uri.IsHexDigit))
        {
            return Convert.FromHexString(text);
        }

        var base64 = text.Trim().Replace('-', '+').Replace('_', '/');
        base64 += new string('=', (4 - base64.Length % 4) % 4);
        var bytes = new byte[base64.Length];
        return Convert.TryFromBase64String(base64, bytes, out var length) && length == 32 ? bytes[..32] : null;
    }

    private IReadOnlyList<byte[]>? Current(Slot slot, bool refresh)
        => slot.Entry is { } entry && clock.GetUtcNow() - entry.At < (refresh ? MinRefetch : Keep) ? entry.Keys : null;

    private async Task<IReadOnlyList<byte[]>?> FetchAsync(Uri url, CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(FetchTimeout, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            using var response = await fetcher.GetAsync(url, null, linked.Token);
            if (!response.IsSuccessStatusCode)
            {
                Log.FetchFailed(logger, url.AbsoluteUri, $"HTTP {(int)response.StatusCode}");
                return null;
            }

            await using var stream = await response.Content.ReadAsStreamAsync(linked.Token);
            var buffer = new byte[MaxJwksBytes + 1];
            var length = 0;
            int read;
            while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), linked.Token)) > 0)
            {
                length += read;
            }

            if (length > MaxJwksBytes)
            {
                Log.FetchFailed(logger, url.AbsoluteUri, $"larger than {MaxJwksBytes} bytes");
                return null;
            }

            using var document = JsonDocument.Parse(buffer.AsMemory(0, length));
            if (Parse(document.RootElement) is not { Count: > 0 } keys)
            {
                Log.FetchFailed(logger, url.AbsoluteUri, "no Ed25519 key in it");
                return null;
            }

            return keys;
        }
        catch (Exception ex) when (ex is HttpRequestException or FetchRefusedException or JsonException or IOException
                                       || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            Log.FetchFailed(logger, url.AbsoluteUri, ex.Message);
            return null;
        }
    }

    private static string? Text(JsonElement element, string name)
        => element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private sealed record Entry(IReadOnlyList<byte[]> Keys, DateTimeOffset At);

    private sealed class Slot
    {
        private Entry? _entry;

        public SemaphoreSlim Gate { get; } = new(1, 1);

        public Entry? Entry
        {
            get => Volatile.Read(ref _entry);
            set => Volatile.Write(ref _entry, value);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read fal's webhook keys from {Url} ({Reason}); signed callbacks are refused until it can")]
        public static partial void FetchFailed(ILogger logger, string url, string reason);
    }
}
