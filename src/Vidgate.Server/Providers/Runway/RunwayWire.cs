using System.Text.Json.Serialization;

namespace Vidgate.Server.Providers.Runway;

// Runway's wire (vendors.md part A §3). The create bodies are built as JSON trees (RunwayProvider): the operator's
// options.parameters merge into them. Field names are camelCase.

/// <summary>Every create answers <c>{"id": "&lt;task uuid&gt;"}</c>.</summary>
internal sealed record RunwayCreated(string? Id);

/// <summary>
/// <c>GET /v1/tasks/{id}</c>: <c>status</c> is <c>PENDING</c>, <c>THROTTLED</c>, <c>RUNNING</c> (with <c>progress</c>),
/// <c>SUCCEEDED</c> (<c>output</c>: signed URLs that expire in 24–48 h), <c>FAILED</c> (<c>failure</c>, <c>failureCode</c>)
/// or <c>CANCELLED</c>.
/// </summary>
internal sealed record RunwayTask(string? Id, string? Status, double? Progress, IReadOnlyList<string>? Output, string? Failure, string? FailureCode);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RunwayCreated))]
[JsonSerializable(typeof(RunwayTask))]
internal sealed partial class RunwayJson : JsonSerializerContext;
