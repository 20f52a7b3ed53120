using System.Text.Json.Serialization;

namespace Vidgate.Server.Providers.Kling;

// Kling's envelope (vendors.md part B §1.2–1.6): every answer is {code, message, request_id, data}; code 0 is success.
// The create body is built as a JSON tree (KlingProvider): the operator's options.parameters merge into it.

internal sealed record KlingEnvelope(int? Code, string? Message, KlingTask? Data);

/// <summary><c>task_status</c>: <c>submitted</c>, <c>processing</c>, <c>succeed</c> (sic), <c>failed</c>.</summary>
internal sealed record KlingTask(string? TaskId, string? TaskStatus, string? TaskStatusMsg, KlingResult? TaskResult);

internal sealed record KlingResult(IReadOnlyList<KlingVideo>? Videos);

/// <summary><c>duration</c> is a string of seconds; <c>url</c> needs no auth.</summary>
internal sealed record KlingVideo(string? Id, string? Url, string? Duration);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(KlingEnvelope))]
internal sealed partial class KlingJson : JsonSerializerContext;
