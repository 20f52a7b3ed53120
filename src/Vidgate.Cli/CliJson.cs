using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Vidgate.Contracts;

namespace Vidgate.Cli;

/// <summary>A video and the file it was written to, as <c>generate --json</c> and <c>download --json</c> print it.</summary>
internal sealed record VideoFile(SeedVideo Video, string? File, long? Bytes);

/// <summary>The CLI's <c>--json</c> output: the server's own wire shapes (snake_case), one document per command.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(VideoFile))]
[JsonSerializable(typeof(SeedVideo))]
[JsonSerializable(typeof(VideoDeleted))]
[JsonSerializable(typeof(List<OpenAiVideo>))]
[JsonSerializable(typeof(IReadOnlyList<ModelInfo>))]
[JsonSerializable(typeof(IReadOnlyList<ApiKeyInfo>))]
[JsonSerializable(typeof(ApiKeyInfo))]
[JsonSerializable(typeof(ApiKeyCreated))]
[JsonSerializable(typeof(IReadOnlyList<AccountInfo>))]
[JsonSerializable(typeof(AccountInfo))]
[JsonSerializable(typeof(IReadOnlyList<ProviderInfo>))]
[JsonSerializable(typeof(IReadOnlyList<RouteInfo>))]
[JsonSerializable(typeof(RouteInfo))]
[JsonSerializable(typeof(ErrorBody))]
internal sealed partial class CliJson : JsonSerializerContext
{
    /// <summary>Like <see cref="JsonSerializerContext"/>'s default, without escaping quotes and non-ASCII in prompts.</summary>
    public static CliJson Out { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
