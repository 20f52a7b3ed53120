using System.Text.Json;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Dialects;

/// <summary>
/// <c>POST /v1/videos</c> serves three dialects; the body says which (docs/compatibility.md, "Dialect detection"):
/// <list type="bullet">
/// <item>multipart/form-data whose <c>model</c> starts with <c>grok-video-</c> → legacy grok-video;</item>
/// <item>any other multipart/form-data → OpenAI (openai-node ≥ 6.28 and openai-python always send multipart);</item>
/// <item>JSON with none of the seed's own fields (<c>aspect_ratio, resolution, image, images</c>) and with
///   <c>size</c> or <c>input_reference</c> or a <c>sora-*</c> model → OpenAI (openai-node &lt; 6.28);</item>
/// <item>any other JSON → seed (grok-imagine-video).</item>
/// </list>
/// </summary>
internal static class CreateRequests
{
    private static readonly string[] SeedFields = ["aspect_ratio", "resolution", "image", "images"];
    private static readonly string[] OpenAiFields = ["size", "input_reference"];

    /// <summary>A multipart create: legacy grok-video by its model, OpenAI otherwise.</summary>
    public static (Dialect Dialect, CreateDraft? Draft, ApiError? Error) Translate(FormBody form, string defaultModel) =>
        LegacyGrokDialect.IsLegacyModel(form.Text("model"))
            ? Tag(Dialect.LegacyGrok, LegacyGrokDialect.Translate(form))
            : Tag(Dialect.OpenAi, OpenAiDialect.Translate(form, defaultModel));

    /// <summary>A JSON create: OpenAI when it has OpenAI's fields and none of the seed's, the seed otherwise.</summary>
    public static (Dialect Dialect, CreateDraft? Draft, ApiError? Error) Translate(JsonElement root, string defaultModel)
    {
        if (!IsOpenAiJson(root))
        {
            return Tag(Dialect.Seed, SeedDialect.Translate(root));
        }

        var (form, flattenError) = FormBody.FromJson(root);
        return flattenError is not null ? (Dialect.OpenAi, null, flattenError) : Tag(Dialect.OpenAi, OpenAiDialect.Translate(form!, defaultModel));
    }

    /// <summary>The JSON half of the detection rule.</summary>
    public static bool IsOpenAiJson(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object || SeedFields.Any(name => body.TryGetProperty(name, out _)))
        {
            return false;
        }

        return OpenAiFields.Any(name => body.TryGetProperty(name, out _))
            || (body.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.String
                && model.GetString()!.StartsWith("sora-", StringComparison.Ordinal));
    }

    private static (Dialect, CreateDraft?, ApiError?) Tag(Dialect dialect, (CreateDraft? Draft, ApiError? Error) translated)
        => (dialect, translated.Draft, translated.Error);
}
