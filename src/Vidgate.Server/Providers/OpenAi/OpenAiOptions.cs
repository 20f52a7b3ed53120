using System.Text.Json;

namespace Vidgate.Server.Providers.OpenAi;

/// <summary>How the create request is put on the wire.</summary>
internal enum CreateFormat
{
    /// <summary>The seed / reseller JSON: <c>model, prompt, seconds</c> (string), <c>aspect_ratio, resolution</c>, <c>image | images</c> data URIs.</summary>
    Json,

    /// <summary>OpenAI's JSON body: <c>model, prompt, seconds, size "WxH"</c>, first image as <c>input_reference.image_url</c>.</summary>
    OpenAiJson,

    /// <summary>OpenAI's multipart body: <c>model, prompt, seconds, size</c>, one <c>input_reference</c> file part per image.</summary>
    Multipart,
}

/// <summary>
/// The <c>openai</c> type's <see cref="UpstreamSettings.Options"/>. Default <c>create_format</c> is <c>json</c>: the resellers that
/// sell <c>grok-imagine-video</c> speak it, and so do Vidgate and most OpenAI-shaped gateways (they read <c>seconds</c> and ignore extras).
/// </summary>
/// <param name="NotFoundGrace">
/// How long a job that this process has never seen may answer 404 before it is failed. A job that answered before and then
/// 404s is gone (an upstream with an in-memory store restarted) and fails at once.
/// </param>
/// <param name="HonoursIdempotencyKey">
/// The operator vouches that the upstream dedups on <c>Idempotency-Key</c> (another Vidgate does; OpenAI and new-api do not):
/// a submit cut short by a crash is then sent again instead of failed. Off by default: a second paid job is worse.
/// </param>
internal sealed record OpenAiOptions(CreateFormat CreateFormat, TimeSpan NotFoundGrace, bool HonoursIdempotencyKey)
{
    public static readonly OpenAiOptions Default = new(CreateFormat.Json, TimeSpan.FromMinutes(2), false);

    private static readonly string[] Known = ["create_format", "not_found_grace_seconds", "honours_idempotency_key"];

    /// <summary>Parses the options; <paramref name="error"/> says what is wrong, in words an operator can act on.</summary>
    public static OpenAiOptions? Parse(JsonElement? options, out string? error)
    {
        error = null;
        if (options is not { } root || root.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return Default;
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            error = "options must be a JSON object";
            return null;
        }

        var result = Default;
        foreach (var property in root.EnumerateObject())
        {
            switch (property.Name)
            {
                case "create_format":
                    CreateFormat? format = property.Value.ValueKind == JsonValueKind.String
                        ? property.Value.GetString()?.ToLowerInvariant() switch
                        {
                            "json" => CreateFormat.Json,
                            "openai_json" => CreateFormat.OpenAiJson,
                            "multipart" => CreateFormat.Multipart,
                            _ => null,
                        }
                        : null;
                    if (format is null)
                    {
                        error = "options.create_format must be \"json\", \"openai_json\" or \"multipart\"";
                        return null;
                    }

                    result = result with { CreateFormat = format.Value };
                    break;
                case "not_found_grace_seconds":
                    if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetInt32(out var seconds) || seconds < 0)
                    {
                        error = "options.not_found_grace_seconds must be a non-negative integer";
                        return null;
                    }

                    result = result with { NotFoundGrace = TimeSpan.FromSeconds(seconds) };
                    break;
                case "honours_idempotency_key":
                    if (property.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    {
                        error = "options.honours_idempotency_key must be true or false";
                        return null;
                    }

                    result = result with { HonoursIdempotencyKey = property.Value.GetBoolean() };
                    break;
                default:
                    error = $"unknown option '{property.Name}' for type openai (known: {string.Join(", ", Known)})";
                    return null;
            }
        }

        return result;
    }
}
