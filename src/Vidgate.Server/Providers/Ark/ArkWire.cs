using System.Text.Json.Serialization;

namespace Vidgate.Server.Providers.Ark;

// Volcengine Ark / BytePlus ModelArk content generation tasks (vendors.md part B §4). The create body is built as a JSON
// tree (ArkProvider): the operator's options.parameters merge into it (top-level fields: seed, camera_fixed, watermark,
// generate_audio, service_tier, execution_expires_after, return_last_frame).

/// <summary>The create answer (<c>id</c> only) and the query answer share one shape.</summary>
/// <param name="Status"><c>queued</c>, <c>running</c>, <c>succeeded</c>, <c>failed</c>, <c>expired</c>, <c>cancelled</c> (two Ls).</param>
/// <param name="Duration">Seconds delivered (or <c>frames</c> instead, when the create asked in frames).</param>
internal sealed record ArkTask(
    string? Id,
    string? Model,
    string? Status,
    ArkError? Error,
    ArkContent? Content,
    ArkUsage? Usage,
    int? Duration,
    int? Frames,
    int? Framespersecond,
    string? Resolution,
    string? Ratio);

internal sealed record ArkContent(string? VideoUrl, string? LastFrameUrl);

/// <summary>Output tokens: Ark bills per token (≈ width × height × fps × seconds / 1024), input tokens are 0.</summary>
internal sealed record ArkUsage(long? CompletionTokens, long? TotalTokens);

/// <summary>The error of a failed task, and of the HTTP error envelope <c>{"error": {code, message, param, type}}</c>.</summary>
internal sealed record ArkError(string? Code, string? Message, string? Type);

internal sealed record ArkErrorEnvelope(ArkError? Error);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(ArkTask))]
[JsonSerializable(typeof(ArkErrorEnvelope))]
internal sealed partial class ArkJson : JsonSerializerContext;
