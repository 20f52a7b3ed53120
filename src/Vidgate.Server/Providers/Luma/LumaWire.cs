using System.Text.Json.Serialization;

namespace Vidgate.Server.Providers.Luma;

// Dream Machine's wire (vendors.md part A §4). The create body is built as a JSON tree (LumaProvider): the operator's
// options.parameters merge into it.

/// <summary>
/// A Generation: <c>state</c> is <c>queued</c>, <c>dreaming</c>, <c>completed</c> (<c>assets.video</c>, a plain URL) or
/// <c>failed</c> (<c>failure_reason</c>). Create answers one (201) as well as the poll.
/// </summary>
internal sealed record LumaGeneration(string? Id, string? State, string? FailureReason, LumaAssets? Assets);

internal sealed record LumaAssets(string? Video, string? Image);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(LumaGeneration))]
internal sealed partial class LumaJson : JsonSerializerContext;
