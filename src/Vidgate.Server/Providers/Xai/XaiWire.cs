using System.Text.Json.Serialization;

namespace Vidgate.Server.Providers.Xai;

/// <summary>xAI's <c>POST /v1/videos/generations</c> body (api-contracts.md §3.2): JSON only, null fields left out.</summary>
internal sealed record XaiGenerateRequest(
    string Model,
    string Prompt,
    int Duration,
    string AspectRatio,
    string Resolution,
    XaiUrl? Image,
    IReadOnlyList<XaiUrl>? ReferenceImages);

internal sealed record XaiUrl(string Url);

internal sealed record XaiAccepted(string? RequestId);

/// <summary>
/// The poll answer (§3.3). Every field optional: a very early poll carries only <c>request_id</c>. <see cref="Usage"/>
/// (<c>{"cost_in_usd_ticks": int}</c>) stays raw JSON, so an odd shape there never makes the whole answer unreadable.
/// </summary>
internal sealed record XaiStatus(string? Status, double? Progress, string? Model, XaiVideo? Video, XaiError? Error, System.Text.Json.JsonElement? Usage = null);

internal sealed record XaiVideo(string? Url, double? Duration, bool? RespectModeration);

internal sealed record XaiError(string? Code, string? Message);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(XaiGenerateRequest))]
[JsonSerializable(typeof(XaiAccepted))]
[JsonSerializable(typeof(XaiStatus))]
internal sealed partial class XaiJson : JsonSerializerContext;
