using System.Security.Cryptography;
using System.Text;

namespace Vidgate.Server.Tasks;

/// <summary>
/// The per-job secret of an upstream callback URL: 32 random bytes, base64url (43 characters), made before the submit.
/// Only its SHA-256 is stored (<c>upstream_jobs.callback_hash</c>), so the database never holds a usable URL.
/// </summary>
internal static class CallbackTokens
{
    public const string Path = "/v1/upstream-callbacks";

    /// <summary>A new secret and the hash to store for it.</summary>
    public static (string Token, string Hash) New()
    {
        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        return (token, Hash(token));
    }

    /// <summary>The stored form of <paramref name="token"/>: SHA-256 of its text, lower-case hex.</summary>
    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(token)));

    /// <summary>Shaped like a secret we made (43 base64url characters): anything else is not looked up at all.</summary>
    public static bool WellFormed(string token)
        => token.Length == 43 && token.All(c => c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_');

    /// <summary><c>{publicBaseUrl}/v1/upstream-callbacks/{instance}/{token}</c>.</summary>
    public static string Url(string publicBaseUrl, string instance, string token)
        => $"{publicBaseUrl.TrimEnd('/')}{Path}/{Uri.EscapeDataString(instance)}/{token}";

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
