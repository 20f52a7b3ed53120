using System.Text.Json.Serialization;

namespace Vidgate.Server.Providers.Vertex;

// Veo on Vertex AI (vendors.md §2): the long-running operation fetched with fetchPredictOperation, Google's error
// envelope, the service-account key and the OAuth token answer. The create body is built as a JSON tree (VertexProvider).

/// <summary><c>google.longrunning.Operation</c>: <c>done</c> absent or false while running; then <c>response</c> or <c>error</c>.</summary>
internal sealed record VertexOperation(string? Name, bool? Done, VertexResponse? Response, VertexStatus? Error);

/// <summary>The videos (inline <c>bytesBase64Encoded</c>, or <c>gcsUri</c> when <c>storageUri</c> was set), or none when filtered.</summary>
internal sealed record VertexResponse(IReadOnlyList<VertexVideo>? Videos, int? RaiMediaFilteredCount, IReadOnlyList<string>? RaiMediaFilteredReasons);

internal sealed record VertexVideo(string? GcsUri, string? BytesBase64Encoded, string? MimeType);

/// <summary><c>google.rpc.Status</c>, also the <c>error</c> of Google's HTTP error envelope.</summary>
internal sealed record VertexStatus(int? Code, string? Message, string? Status);

internal sealed record VertexError(VertexStatus? Error);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(VertexOperation))]
[JsonSerializable(typeof(VertexError))]
internal sealed partial class VertexJson : JsonSerializerContext;

/// <summary>The fields of a service-account JSON key the adapter uses.</summary>
internal sealed record ServiceAccountKey(string? Type, string? ProjectId, string? PrivateKeyId, string? PrivateKey, string? ClientEmail, string? TokenUri);

/// <summary>The token endpoint's answer: <c>expires_in</c> may come as a number or a string.</summary>
internal sealed record TokenAnswer(string? AccessToken, [property: JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] int? ExpiresIn, string? TokenType, string? Error, string? ErrorDescription);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ServiceAccountKey))]
[JsonSerializable(typeof(TokenAnswer))]
internal sealed partial class VertexAuthJson : JsonSerializerContext;
