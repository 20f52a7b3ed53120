using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vidgate.Server.Providers.Fal;

// fal's queue API (vendors.md §5). The submit body is the model's own input, built as a JSON tree (FalProvider) so
// that the operator's options.parameters merge into it.

/// <summary>The submit answer: the request id and the status, result and cancel URLs (owner/app only, no model path).</summary>
internal sealed record FalQueued(string? RequestId, string? Status, string? StatusUrl, string? ResponseUrl, string? CancelUrl);

/// <summary>
/// <c>GET …/requests/{id}/status</c>: 202 with <c>IN_QUEUE</c> (and <c>queue_position</c>) or <c>IN_PROGRESS</c>, 200 with
/// <c>COMPLETED</c>; a failed request is COMPLETED with <c>error</c> and <c>error_type</c>.
/// </summary>
internal sealed record FalStatus(string? Status, int? QueuePosition, string? Error, string? ErrorType);

/// <summary>The result of a video model: <c>{"video": {"url", "content_type", "file_name", "file_size"}, …}</c>.</summary>
internal sealed record FalResult(FalFile? Video);

internal sealed record FalFile(string? Url, string? ContentType);

/// <summary>fal's errors: <c>detail</c> is a list of <c>{loc, msg, type}</c> (or, on some 4xx, a plain string).</summary>
internal sealed record FalError(JsonElement? Detail);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(FalQueued))]
[JsonSerializable(typeof(FalStatus))]
[JsonSerializable(typeof(FalResult))]
[JsonSerializable(typeof(FalError))]
internal sealed partial class FalJson : JsonSerializerContext;
