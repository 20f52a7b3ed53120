using System.Text.Json.Serialization;

namespace Vidgate.Server.Providers.DashScope;

// DashScope's async task API (vendors.md part B §3): create and query answer {request_id, output{task_id, task_status,
// video_url, code, message}, usage}; a synchronous error is {code, message, request_id} with the HTTP status. The create
// body is built as a JSON tree (DashScopeProvider): the operator's options.parameters merge into it.

/// <param name="Code">A synchronous error's code (<c>InvalidApiKey</c>, <c>DataInspectionFailed</c>, <c>Throttling.RateQuota</c>).</param>
internal sealed record DashScopeAnswer(string? RequestId, DashScopeOutput? Output, DashScopeUsage? Usage, string? Code, string? Message);

/// <summary><c>task_status</c>: <c>PENDING</c>, <c>RUNNING</c>, <c>SUCCEEDED</c>, <c>FAILED</c>, <c>CANCELED</c> (one L), <c>UNKNOWN</c>.</summary>
/// <param name="Code">A failed task's reason code (HTTP 200, inside <c>output</c>).</param>
internal sealed record DashScopeOutput(string? TaskId, string? TaskStatus, string? VideoUrl, string? Code, string? Message);

/// <summary>Billed seconds: <c>duration</c> / <c>output_video_duration</c> (wan2.6), <c>video_duration</c> (wan2.5 and older).</summary>
internal sealed record DashScopeUsage(double? Duration, double? OutputVideoDuration, double? VideoDuration, string? Size);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(DashScopeAnswer))]
internal sealed partial class DashScopeJson : JsonSerializerContext;
