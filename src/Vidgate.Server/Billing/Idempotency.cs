using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Billing;

/// <summary>
/// <c>Idempotency-Key</c> on creates. A retry is recognised by the key (per account) and a hash of the canonical
/// request, not of the raw body: a multipart retry has a new boundary but asks for the same video.
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

    public static Entry? Find(SqliteConnection connection, string accountId, string key)
    {
        using var reader = Statements.For(connection, "SELECT task_id, request_hash FROM idempotency_keys WHERE account_id = $a AND key = $k;")
            .With("$a", accountId).With("$k", key).ExecuteReader();
        return reader.Read() ? new Entry(reader.GetString(0), (byte[])reader.GetValue(1)) : null;
    }

    public static void Record(SqliteConnection connection, string accountId, IdempotencyClaim claim, string taskId, DateTimeOffset now)
        => Statements.For(connection, """
            INSERT INTO idempotency_keys (account_id, key, request_hash, task_id, created_at) VALUES ($a, $k, $h, $t, $now);
            """).With("$a", accountId).With("$k", claim.Key).With("$h", claim.RequestHash).With("$t", taskId)
            .With("$now", now.ToUnixTimeMilliseconds()).ExecuteNonQuery();

    /// <summary>Keys older than the lifetime are forgotten; a later request with one of them is a new create.</summary>
    public static int Sweep(SqliteConnection connection, DateTimeOffset olderThan)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM idempotency_keys WHERE created_at < $before;";
        command.Parameters.AddWithValue("$before", olderThan.ToUnixTimeMilliseconds());
        return command.ExecuteNonQuery();
    }
}
