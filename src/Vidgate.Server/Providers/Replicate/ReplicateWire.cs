using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vidgate.Server.Providers.Replicate;

// Replicate's predictions API (vendors.md §6). The create body ({input} or {version, input}) is built as a JSON tree
// (ReplicateProvider) so that the operator's options.parameters merge into "input".

/// <summary>
/// A prediction: <c>status</c> <c>starting</c>, <c>processing</c>, <c>succeeded</c>, <c>failed</c>, <c>canceled</c> or
/// <c>aborted</c>; <c>output</c> is the model's own (a URI string, a list of them, or an object); <c>logs</c> may carry a
/// progress bar; <c>data_removed</c> once the hour of retention is over.
/// </summary>
internal sealed record ReplicatePrediction(string? Id, string? Status, JsonElement? Output, string? Error, string? Logs, bool? DataRemoved);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ReplicatePrediction))]
internal sealed partial class ReplicateJson : JsonSerializerContext;
