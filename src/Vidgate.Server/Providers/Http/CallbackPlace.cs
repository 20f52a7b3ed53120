using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Vidgate.Server.Providers.Http;

/// <summary>How a vendor signs its callbacks.</summary>
internal enum CallbackSigning
{
    /// <summary>Nothing documented (or nothing we can check offline): the secret in the URL is the only credential.</summary>
    None,

    /// <summary>Standard Webhooks (Replicate): <c>webhook-id</c>, <c>webhook-timestamp</c>, <c>webhook-signature</c> = <c>v1,base64(HMAC-SHA256(key, id.timestamp.body))</c>.</summary>
    StandardWebhooks,

    /// <summary>fal: Ed25519 over request id, user id, timestamp and the body's SHA-256, keys from a JWKS (<c>Providers/Fal/FalWebhookSignature</c>).</summary>
    Ed25519Jwks,
}

/// <summary>
/// Where a vendor's submit takes our callback URL: a field of its JSON body (<c>callback_url</c>, Replicate's
/// <c>webhook</c>) with any fields that go with it, or a query parameter (fal's <c>fal_webhook</c>); and how its callbacks
/// are signed and verified. A vendor declares one in a line (<see cref="HttpVendor.Callbacks"/>).
/// </summary>
internal sealed record CallbackPlace(string? Field, string? Query)
{
    /// <summary>Fields set next to <see cref="Field"/> (Replicate's <c>webhook_events_filter</c>).</summary>
    public IReadOnlyDictionary<string, string[]> Alongside { get; init; } = new Dictionary<string, string[]>();

    public CallbackSigning Signing { get; init; }

    /// <summary>The vendor first sends <c>{"challenge": …}</c> and expects it echoed (MiniMax).</summary>
    public bool EchoesChallenge { get; init; }

    public static CallbackPlace Body(string field) => new(field, null);

    public static CallbackPlace InQuery(string name) => new(null, name);

    /// <summary>Puts <paramref name="url"/> where the vendor takes it; a body that is not a JSON object is left alone (polling still works).</summary>
    public async Task ApplyAsync(HttpRequestMessage request, string url, CancellationToken ct)
    {
        if (Query is { } name && request.RequestUri is { } uri)
        {
            var separator = string.IsNullOrEmpty(uri.Query) ? "?" : "&";
            request.RequestUri = new Uri(uri.AbsoluteUri + separator + name + "=" + Uri.EscapeDataString(url));
        }

        if (Field is not { } field || request.Content is null)
        {
            return;
        }

        JsonObject body;
        try
        {
            if (JsonNode.Parse(await request.Content.ReadAsStringAsync(ct)) is not JsonObject parsed)
            {
                return;
            }

            body = parsed;
        }
        catch (JsonException)
        {
            return;
        }

        body[field] = url;
        foreach (var (key, values) in Alongside)
        {
            body[key] = new JsonArray([.. values.Select(v => (JsonNode)JsonValue.Create(v))]);
        }

        request.Content.Dispose();
        request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
    }

    /// <summary>Null when the callback's signature holds (or the vendor signs none); otherwise the reason it is refused.</summary>
    public string? Verify(string? secret, Func<string, string?> header, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan tolerance) => Signing switch
    {
        CallbackSigning.StandardWebhooks => StandardWebhook(secret, header, body, now, tolerance),
        // Needs keys only the vendor's adapter can get: refused unless it overrides the check (fail closed).
        CallbackSigning.Ed25519Jwks => "the vendor's Ed25519 signature is checked by its adapter",
        _ => null,
    };

    /// <summary>The echo of MiniMax's verification request, or null when <paramref name="body"/> is not one.</summary>
    public string? Challenge(ReadOnlySpan<byte> body)
    {
        if (!EchoesChallenge)
        {
            return null;
        }

        var reader = new Utf8JsonReader(body);
        try
        {
            using var document = JsonDocument.ParseValue(ref reader);
            return document.RootElement.ValueKind == JsonValueKind.Object
                   && document.RootElement.TryGetProperty("challenge", out var challenge) && challenge.ValueKind == JsonValueKind.String
                ? JsonSerializer.Serialize(new Dictionary<string, string> { ["challenge"] = challenge.GetString()! }, CallbackJson.Default.DictionaryStringString)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A <c>whsec_</c> secret's key bytes, or null when it is not one.</summary>
    public static byte[]? SecretKey(string? secret)
    {
        if (secret is null || !secret.StartsWith("whsec_", StringComparison.Ordinal))
        {
            return null;
        }

        var key = new byte[secret.Length];
        return Convert.TryFromBase64String(secret["whsec_".Length..], key, out var length) && length >= 16 ? key[..length] : null;
    }

    private static string? StandardWebhook(string? secret, Func<string, string?> header, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan tolerance)
    {
        if (SecretKey(secret) is not { } key)
        {
            return "no webhook_secret to check the signature with";
        }

        if (header("webhook-id") is not { Length: > 0 and <= 256 } id || header("webhook-timestamp") is not { } stamp || header("webhook-signature") is not { } signatures)
        {
            return "webhook-id, webhook-timestamp or webhook-signature missing";
        }

        // Outside the window a captured callback could be replayed for ever; inside it a replay can only cause a poll.
        if (!long.TryParse(stamp, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            || seconds > 32_503_680_000 || (now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > tolerance)
        {
            return "webhook-timestamp missing or outside the tolerance";
        }

        var prefix = Encoding.UTF8.GetBytes($"{id}.{stamp}.");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        var expected = HMACSHA256.HashData(key, signed);
        foreach (var entry in signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var mac = new byte[64];
            if (entry.StartsWith("v1,", StringComparison.Ordinal) && Convert.TryFromBase64String(entry[3..], mac, out var length)
                && length == expected.Length && CryptographicOperations.FixedTimeEquals(mac.AsSpan(0, length), expected))
            {
                return null;
            }
        }

        return "webhook-signature does not match";
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class CallbackJson : System.Text.Json.Serialization.JsonSerializerContext;
