using System.Text.Json.Serialization;

namespace Vidgate.Server.Providers.Vidu;

// Vidu's wire (vendors.md part B §5). The create body is built as a JSON tree (ViduProvider): the operator's
// options.parameters merge into it.

/// <summary>The create answer: an echo of the request plus <c>task_id</c> (a numeric string), <c>state</c> and <c>credits</c>.</summary>
internal sealed record ViduCreated(string? TaskId, string? State, decimal? Credits);

/// <summary>
/// <c>GET /ent/v2/tasks/{id}/creations</c>: <c>state</c> is <c>created</c>, <c>queueing</c>, <c>processing</c>,
/// <c>success</c> or <c>failed</c> (then <c>err_code</c> names why); <c>credits</c> is what the job cost.
/// </summary>
internal sealed record ViduTask(string? State, string? ErrCode, decimal? Credits, IReadOnlyList<ViduCreation>? Creations);

/// <summary><c>url</c> needs no auth and lives 24 hours.</summary>
internal sealed record ViduCreation(string? Id, string? Url, string? CoverUrl);

/// <summary>Every error: <c>{"code": &lt;http&gt;, "reason": "&lt;ErrorCode&gt;", "message": "…", "metadata": {"trace_id"}}</c>.</summary>
internal sealed record ViduError(int? Code, string? Reason, string? Message);

/// <summary>The cancel body of Vidu's sample: the task id again.</summary>
internal sealed record ViduCancel(string Id);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ViduCreated))]
[JsonSerializable(typeof(ViduTask))]
[JsonSerializable(typeof(ViduError))]
[JsonSerializable(typeof(ViduCancel))]
internal sealed partial class ViduJson : JsonSerializerContext;
