using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Vertex;

/// <summary>
/// OAuth access tokens from service-account keys (vendors.md §2.2, google-auth's JWT-bearer grant): an RS256 JWT
/// <c>{iss: client_email, scope: cloud-platform, aud: https://oauth2.googleapis.com/token, iat, exp: iat + 1 h}</c> with
/// the key's <c>private_key_id</c> as <c>kid</c>, exchanged at the key's <c>token_uri</c>. One token per key is cached and
/// fetched again 3 min 45 s before it expires (google-auth's threshold), one exchange at a time per key. A key the
/// token endpoint refuses yields an empty token: Vertex's 401 then marks that key bad, as for any vendor.
/// </summary>
internal sealed partial class VertexToken(UpstreamClient client, TimeProvider clock, ILogger logger)
{
    public const string Scope = "https://www.googleapis.com/auth/cloud-platform";

    /// <summary>google-auth sends this audience whatever the key's <c>token_uri</c>.</summary>
    public const string Audience = "https://oauth2.googleapis.com/token";

    private static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);
    private static readonly TimeSpan Threshold = TimeSpan.FromSeconds(225);
    private readonly ConcurrentDictionary<string, (string Token, DateTimeOffset Expires)> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _exchanges = new(StringComparer.Ordinal);

    /// <summary>The key's fields, or null when it is not a service-account JSON key with what the grant needs.</summary>
    public static ServiceAccountKey? Parse(string apiKey)
    {
        try
        {
            var key = JsonSerializer.Deserialize(apiKey, VertexAuthJson.Default.ServiceAccountKey);
            return key is { ClientEmail.Length: > 0, PrivateKey.Length: > 0 } && Uri.TryCreate(key.TokenUri, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http"
                ? key
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>True when the key's <c>private_key</c> is an RSA key in PEM.</summary>
    public static bool CanSign(ServiceAccountKey key)
    {
        try
        {
            using var rsa = RSA.Create();
            rsa.ImportFromPem(key.PrivateKey);
            return true;
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            return false;
        }
    }

    /// <summary>The cached token of <paramref name="apiKey"/>, if any (to cut it out of quoted text).</summary>
    public string? Cached(string apiKey) => _tokens.TryGetValue(apiKey, out var cached) ? cached.Token : null;

    public async ValueTask<string> ForAsync(string apiKey, CancellationToken ct)
    {
        if (Fresh(apiKey) is { } token)
        {
            return token;
        }

        var gate = _exchanges.GetOrAdd(apiKey, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            return Fresh(apiKey) ?? await ExchangeAsync(apiKey, ct);
        }
        finally
        {
            gate.Release();
        }
    }

    internal static string Sign(ServiceAccountKey key, DateTimeOffset now)
    {
        var header = new Dictionary<string, string> { ["alg"] = "RS256", ["typ"] = "JWT" };
        if (key.PrivateKeyId is { Length: > 0 } kid)
        {
            header["kid"] = kid;
        }

        var iat = now.ToUnixTimeSeconds();
        var claims = string.Create(CultureInfo.InvariantCulture,
            $$"""{"iss":{{JsonSerializer.Serialize(key.ClientEmail)}},"scope":"{{Scope}}","aud":"{{Audience}}","iat":{{iat}},"exp":{{iat + (long)Lifetime.TotalSeconds}}}""");
        var signed = Base64Url(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header))) + "." + Base64Url(Encoding.UTF8.GetBytes(claims));
        using var rsa = RSA.Create();
        rsa.ImportFromPem(key.PrivateKey);
        return signed + "." + Base64Url(rsa.SignData(Encoding.ASCII.GetBytes(signed), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    private string? Fresh(string apiKey)
        => _tokens.TryGetValue(apiKey, out var cached) && clock.GetUtcNow() < cached.Expires - Threshold ? cached.Token : null;

    private async Task<string> ExchangeAsync(string apiKey, CancellationToken ct)
    {
        if (Parse(apiKey) is not { } key || !CanSign(key))
        {
            return "";
        }

        var now = clock.GetUtcNow();
        using var request = new HttpRequestMessage(HttpMethod.Post, key.TokenUri)
        {
            Content = new FormUrlEncodedContent([
                new("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                new("assertion", Sign(key, now)),
            ]),
        };

        // No key header: the signed assertion is the credential.
        var reply = await client.CallAsync(request, "", ct);
        var answer = reply.Json is { } json ? Read(json) : null;
        if (reply.IsSuccess && answer?.AccessToken is { Length: > 0 } token)
        {
            var expires = now + (answer.ExpiresIn is { } s && s > 0 ? TimeSpan.FromSeconds(s) : Lifetime);
            _tokens[apiKey] = (token, expires);
            return token;
        }

        var reason = client.Quote($"{answer?.Error} {answer?.ErrorDescription}".Trim(), apiKey, 200);
        if (reply.Code is 429 or 408 or >= 500 || reply.IsSuccess)
        {
            // Not the key's fault: the call is unavailable now (the kit sorts this as a transport failure).
            Log.ExchangeFailed(logger, reply.Code, reason);
            throw new HttpRequestException($"the OAuth token endpoint answered {reply.Code}");
        }

        Log.KeyRefused(logger, reply.Code, reason);
        return "";
    }

    private static TokenAnswer? Read(JsonElement json)
    {
        try
        {
            return json.Deserialize(VertexAuthJson.Default.TokenAnswer);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Base64Url(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "The OAuth token endpoint refused a Vertex service-account key (HTTP {Status}): {Reason}")]
        public static partial void KeyRefused(ILogger logger, int status, string reason);

        [LoggerMessage(Level = LogLevel.Information, Message = "The OAuth token endpoint could not give a Vertex token now (HTTP {Status}): {Reason}")]
        public static partial void ExchangeFailed(ILogger logger, int status, string reason);
    }
}
