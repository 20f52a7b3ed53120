using System.Data.Common;
using System.Text.Json;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Data;

/// <summary>
/// A task row as every engine stores it (times as Unix milliseconds, inputs as a JSON array of blob keys): the column
/// list and the one mapping to <see cref="VideoTask"/>, shared by <c>Sqlite/</c> and <c>Postgres/</c>.
/// </summary>
internal static class TaskRows
{
    public const string Columns = """
        id, account_id, key_id, dialect, model, prompt, seconds, width, height, aspect_ratio, resolution, inputs,
        provider, status, progress, attempts, upstream_id, created_at, started_at, completed_at, expires_at,
        content_deleted_at, error_code, error_message, remixed_from_id, callback_url
        """;

    public static VideoTask Map(DbDataReader r) => new()
    {
        Id = r.GetString(0),
        AccountId = r.GetString(1),
        KeyId = r.GetString(2),
        Dialect = Enum.Parse<Dialect>(r.GetString(3)),
        Model = r.GetString(4),
        Prompt = r.GetString(5),
        Seconds = r.GetInt32(6),
        Width = r.GetInt32(7),
        Height = r.GetInt32(8),
        AspectRatio = r.GetString(9),
        Resolution = r.GetString(10),
        InputKeys = JsonSerializer.Deserialize(r.GetString(11), StoreJson.Default.IReadOnlyListString) ?? [],
        Provider = r.GetString(12),
        Status = Enum.Parse<VideoStatus>(r.GetString(13), ignoreCase: true),
        Progress = r.GetInt32(14),
        Attempts = r.GetInt32(15),
        UpstreamId = r.TextOrNull(16),
        CreatedAt = r.Time(17),
        StartedAt = r.TimeOrNull(18),
        CompletedAt = r.TimeOrNull(19),
        ExpiresAt = r.TimeOrNull(20),
        ContentDeletedAt = r.TimeOrNull(21),
        ErrorCode = r.TextOrNull(22),
        ErrorMessage = r.TextOrNull(23),
        RemixedFromId = r.TextOrNull(24),
        CallbackUrl = r.TextOrNull(25),
    };
}

/// <summary>Reads shared by the engines' readers (ADO.NET's common base), as each engine stores these values.</summary>
internal static class Rows
{
    public static DateTimeOffset Time(this DbDataReader reader, int ordinal) => DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));

    public static DateTimeOffset? TimeOrNull(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.Time(ordinal);

    public static string? TextOrNull(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
