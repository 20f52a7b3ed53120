using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace Vidgate.Server.Providers.Fal;

/// <summary>
/// fal's webhook signature (vendors.md §5.8): <c>X-Fal-Webhook-Signature</c> is the hex Ed25519 signature of
/// <c>{X-Fal-Webhook-Request-Id}\n{X-Fal-Webhook-User-Id}\n{X-Fal-Webhook-Timestamp}\n{sha256 hex of the raw body}</c>,
/// made with one of the keys fal publishes; the timestamp (Unix seconds) must be within the tolerance of now.
/// </summary>
internal sealed record FalWebhookSignature(byte[] Message, byte[] Signature)
{
    public const string RequestIdHeader = "X-Fal-Webhook-Request-Id";
    public const string UserIdHeader = "X-Fal-Webhook-User-Id";
    public const string TimestampHeader = "X-Fal-Webhook-Timestamp";
    public const string SignatureHeader = "X-Fal-Webhook-Signature";

    /// <summary>The signed message and signature of a callback, or why it cannot be checked (a header missing or malformed, a stale time).</summary>
    public static (FalWebhookSignature? Signed, string? Refused) Read(Func<string, string?> header, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan tolerance)
    {
        if (header(RequestIdHeader) is not { Length: > 0 and <= 256 } requestId || header(UserIdHeader) is not { Length: > 0 and <= 256 } userId
            || header(TimestampHeader) is not { } stamp || header(SignatureHeader) is not { } hex)
        {
            return (null, "X-Fal-Webhook-Request-Id, -User-Id, -Timestamp or -Signature missing");
        }

        // Outside the window a captured callback could be replayed for ever; inside it a replay can only cause a poll.
        if (!long.TryParse(stamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || seconds > 32_503_680_000 || (now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > tolerance)
        {
            return (null, "X-Fal-Webhook-Timestamp outside the tolerance");
        }

        var signature = new byte[64];
        if (hex.Length != 128 || Convert.FromHexString(hex, signature, out _, out var written) != OperationStatus.Done || written != 64)
        {
            return (null, "X-Fal-Webhook-Signature is not 64 bytes of hex");
        }

        var message = Encoding.UTF8.GetBytes($"{requestId}\n{userId}\n{stamp}\n{Convert.ToHexStringLower(SHA256.HashData(body))}");
        return (new FalWebhookSignature(message, signature), null);
    }

    /// <summary>True when one of <paramref name="keys"/> (32-byte Ed25519 public keys) made the signature.</summary>
    public bool MadeByOneOf(IReadOnlyList<byte[]> keys)
    {
        foreach (var key in keys)
        {
            var verifier = new Ed25519Signer();
            verifier.Init(false, new Ed25519PublicKeyParameters(key, 0));
            verifier.BlockUpdate(Message, 0, Message.Length);
            if (verifier.VerifySignature(Signature))
            {
                return true;
            }
        }

        return false;
    }
}
