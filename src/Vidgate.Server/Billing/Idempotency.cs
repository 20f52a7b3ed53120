using System.Security.Cryptography;
using System.Text;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Billing;

/// <summary>
/// <c>Idempotency-Key</c> on creates. A retry is recognised by the key (per account) and a hash of the canonical
/// request, not of the raw body: a multipart retry has a new boundary but asks for the same video. The keys are kept by
/// <see cref="ILedger"/> (recorded in the create's write by <see cref="TaskMoney"/>) and swept by <see cref="IdempotencySweeper"/>.
/// </summary>
internal static class Idempotency
{
    public const string Header = "Idempotency-Key";
    public const int MaxKeyLength = 255;

    public sealed record Entry(string TaskId, byte[] RequestHash);

    /// <summary>SHA-256 of everything that makes the video: dialect, model, prompt, length, size, images, remix source.</summary>
    public static byte[] Hash(Dialect dialect, VideoRequest request)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string text)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            hash.AppendData(BitConverter.GetBytes(bytes.Length));
            hash.AppendData(bytes);
        }

        Add(dialect.ToString());
        Add(request.Model);
        Add(request.Prompt);
        Add($"{request.Seconds}|{request.Width}x{request.Height}|{request.AspectRatio}|{request.Resolution}|{request.RemixedFromId}");
        foreach (var image in request.Images)
        {
            hash.AppendData(SHA256.HashData(image.Bytes));
        }

        return hash.GetHashAndReset();
    }
}
