using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Vidgate.Server.Providers.Kling;

/// <summary>
/// Kling's API token (vendors.md part B §1.1): a JWT, HS256 over <c>{"iss": access key, "exp": now + 30 min,
/// "nbf": now − 5 s}</c> with the secret key, made from the instance's <c>"&lt;access key&gt;|&lt;secret key&gt;"</c>. One
/// token per key serves a window of requests and is signed again well before it expires, so a slow call never carries
/// an expired token and a clock a little behind Kling's is covered by the back-dated <c>nbf</c>.
/// </summary>
internal sealed class KlingToken(TimeProvider clock)
{
    private static readonly TimeSpan Validity = TimeSpan.FromMinutes(30);
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(20);
    private readonly ConcurrentDictionary<string, (string Token, DateTimeOffset Made)> _tokens = new(StringComparer.Ordinal);

    /// <summary>The two halves of a key, or null when it is not <c>access|secret</c>.</summary>
    public static (string Access, string Secret)? Split(string apiKey)
        => apiKey.Split('|') is [{ Length: > 0 } access, { Length: > 0 } secret] ? (access, secret) : null;

    public string For(string apiKey)
    {
        var now = clock.GetUtcNow();
        if (_tokens.TryGetValue(apiKey, out var cached) && now - cached.Made < Window && now >= cached.Made)
        {
            return cached.Token;
        }

        // A key that is not "access|secret" was refused by Validate; the empty token then draws Kling's 1001.
        if (Split(apiKey) is not var (access, secret))
        {
            return "";
        }

        var token = Sign(access, secret, now);
        _tokens[apiKey] = (token, now);
        return token;
    }

    internal static string Sign(string access, string secret, DateTimeOffset now)
    {
        var header = Base64Url("""{"alg":"HS256","typ":"JWT"}"""u8);
        var payload = Base64Url(Encoding.UTF8.GetBytes(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $$"""{"iss":"{{System.Text.Json.JsonEncodedText.Encode(access)}}","exp":{{(now + Validity).ToUnixTimeSeconds()}},"nbf":{{now.ToUnixTimeSeconds() - 5}}}""")));
        var signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(header + "." + payload));
        return header + "." + payload + "." + Base64Url(signature);
    }

    private static string Base64Url(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
