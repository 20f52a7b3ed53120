using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vidgate.Contracts;

/// <summary>Source-generated snake_case serialization for every wire type. Nulls are written: clients rely on fields being present.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ErrorBody))]
[JsonSerializable(typeof(SeedVideo))]
[JsonSerializable(typeof(VideoDeleted))]
[JsonSerializable(typeof(OpenAiVideo))]
[JsonSerializable(typeof(OpenAiVideoList))]
[JsonSerializable(typeof(ListOf<ModelInfo>))]
[JsonSerializable(typeof(XaiCreated))]
[JsonSerializable(typeof(XaiVideoStatus))]
[JsonSerializable(typeof(CreateKeyRequest))]
[JsonSerializable(typeof(ApiKeyInfo))]
[JsonSerializable(typeof(ApiKeyCreated))]
[JsonSerializable(typeof(ListOf<ApiKeyInfo>))]
[JsonSerializable(typeof(Health))]
public sealed partial class ContractsJson : JsonSerializerContext
{
    /// <summary>What goes on the wire: like <see cref="Default"/>, but without escaping quotes and angle brackets in messages.</summary>
    public static ContractsJson Wire { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
