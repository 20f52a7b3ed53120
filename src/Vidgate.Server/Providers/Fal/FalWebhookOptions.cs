using System.Text.Json;

namespace Vidgate.Server.Providers.Fal;

/// <summary>
/// Where a fal instance gets the keys its callbacks are checked with: <c>options.webhook_public_keys</c> (inline, for an
/// operator without outbound access to fal's JWKS: a JWKS document, or a list of keys as base64url or hex), else
/// <c>options.webhook_jwks_url</c>, else fal's documented JWKS URL.
/// </summary>
internal sealed record FalWebhookOptions(Uri JwksUrl, IReadOnlyList<byte[]>? Keys)
{
    public const string JwksUrlOption = "webhook_jwks_url";
    public const string KeysOption = "webhook_public_keys";

    public static IReadOnlyCollection<string> Names => [JwksUrlOption, KeysOption];

    /// <summary>The instance's webhook key options, or null with <paramref name="error"/> saying what is wrong.</summary>
    public static FalWebhookOptions? Parse(JsonElement? options, out string? error)
    {
        error = null;
        var url = FalWebhookKeys.DefaultJwksUrl;
        IReadOnlyList<byte[]>? keys = null;
        if (options is not { ValueKind: JsonValueKind.Object } given)
        {
            return new FalWebhookOptions(url, keys);
        }

        if (given.TryGetProperty(JwksUrlOption, out var jwks))
        {
            if (jwks.ValueKind != JsonValueKind.String || !Uri.TryCreate(jwks.GetString(), UriKind.Absolute, out var parsed)
                || parsed.Scheme is not ("https" or "http") || !string.IsNullOrEmpty(parsed.UserInfo))
            {
                error = $"options.{JwksUrlOption} must be an absolute http(s) URL of fal's JWKS (default {FalWebhookKeys.DefaultJwksUrl})";
                return null;
            }

            url = parsed;
        }

        if (given.TryGetProperty(KeysOption, out var inline))
        {
            keys = inline.ValueKind switch
            {
                JsonValueKind.Object => FalWebhookKeys.Parse(inline),
                JsonValueKind.Array when inline.EnumerateArray().All(k => k.ValueKind == JsonValueKind.String)
                    => inline.EnumerateArray().Select(k => FalWebhookKeys.Decode(k.GetString())).ToList() is var decoded && decoded.All(k => k is not null)
                        ? decoded.Select(k => k!).ToList()
                        : null,
                _ => null,
            };
            if (keys is not { Count: > 0 })
            {
                error = $"options.{KeysOption} must be fal's JWKS document ({{\"keys\":[{{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":…}}]}}) "
                    + "or a non-empty list of 32-byte Ed25519 public keys in base64url or hex";
                return null;
            }
        }

        return new FalWebhookOptions(url, keys);
    }
}
