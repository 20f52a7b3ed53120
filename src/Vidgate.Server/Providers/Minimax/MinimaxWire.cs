using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vidgate.Server.Providers.Minimax;

// MiniMax's video API v1 (vendors.md part B §2): every answer carries base_resp {status_code, status_msg}, usually with
// HTTP 200 even when it is an error. The create body is built as a JSON tree (MinimaxProvider): the operator's
// options.parameters merge into it.

internal sealed record MinimaxBaseResp(int? StatusCode, string? StatusMsg);

/// <summary>The create answer (<c>task_id</c>) and the query answer (<c>status</c>, <c>file_id</c> on success) share one shape.</summary>
/// <param name="Status"><c>Preparing</c>, <c>Queueing</c>, <c>Processing</c>, <c>Success</c>, <c>Fail</c> (capitalised).</param>
/// <param name="FileId">A string in the query answer (empty while running), a number in the files answer: kept as sent.</param>
internal sealed record MinimaxTask(
    string? TaskId,
    string? Status,
    JsonElement? FileId,
    int? VideoWidth,
    int? VideoHeight,
    MinimaxBaseResp? BaseResp);

/// <summary><c>GET /v1/files/retrieve</c>: the file's <c>download_url</c> (a plain CDN URL, valid 9 hours).</summary>
internal static class MinimaxFileId
{
    /// <summary>The file id as digits, whether MiniMax sent it as a string or a number; null when absent or empty.</summary>
    public static string? Of(JsonElement? value) => value switch
    {
        { ValueKind: JsonValueKind.String } s when s.GetString() is { Length: > 0 } text && text.All(char.IsAsciiDigit) => text,
        { ValueKind: JsonValueKind.Number } n when n.TryGetInt64(out var id) && id >= 0 => id.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => null,
    };
}

internal sealed record MinimaxFileAnswer(MinimaxFile? File, MinimaxBaseResp? BaseResp);

internal sealed record MinimaxFile(string? DownloadUrl, string? Filename);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(MinimaxTask))]
[JsonSerializable(typeof(MinimaxFileAnswer))]
internal sealed partial class MinimaxJson : JsonSerializerContext;
