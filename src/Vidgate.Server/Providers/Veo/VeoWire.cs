using System.Text.Json.Serialization;

namespace Vidgate.Server.Providers.Veo;

// The Gemini API's long-running operation (vendors.md §1.3–1.4). The create body is built as a JSON tree (VeoProvider):
// the operator's options.parameters merge into its "parameters" object.

/// <summary><c>google.longrunning.Operation</c>: <c>done</c> absent or false while running; then <c>response</c> or <c>error</c>.</summary>
internal sealed record VeoOperation(string? Name, bool? Done, VeoResponse? Response, VeoStatus? Error);

internal sealed record VeoResponse(VeoVideoResponse? GenerateVideoResponse);

/// <summary>The samples, or (safety-filtered) none with <c>raiMediaFilteredCount</c> ≥ 1 and its reasons.</summary>
internal sealed record VeoVideoResponse(IReadOnlyList<VeoSample>? GeneratedSamples, int? RaiMediaFilteredCount, IReadOnlyList<string>? RaiMediaFilteredReasons);

internal sealed record VeoSample(VeoVideo? Video);

internal sealed record VeoVideo(string? Uri);

/// <summary><c>google.rpc.Status</c>, also the <c>error</c> of Google's HTTP error envelope (<c>status</c>, <c>details[].reason</c>).</summary>
internal sealed record VeoStatus(int? Code, string? Message, string? Status, IReadOnlyList<VeoDetail>? Details);

internal sealed record VeoDetail(string? Reason);

internal sealed record VeoError(VeoStatus? Error);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(VeoOperation))]
[JsonSerializable(typeof(VeoError))]
internal sealed partial class VeoJson : JsonSerializerContext;
