using System.Text.Json;
using Vidgate.Server.Hosting;
using Vidgate.Server.Models;
using Vidgate.Server.Providers.Fetch;
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

    public static async Task<(Dialect Dialect, VideoRequest? Request, ApiError? Error)> ParseAsync(
        HttpRequest request, ModelCatalog catalog, VidgateOptions options, ImageUrlResolver imageUrls, CancellationToken ct)
    {
        if (WireBody.TooLarge(request, options) is { } tooLarge)
        {
            return (Dialect.Seed, null, tooLarge);
        }

        if (WireBody.IsMultipart(request))
        {
            var (form, formError) = await WireBody.ReadMultipartAsync(request, options, ct);
            if (formError is not null)
            {
                return (Dialect.OpenAi, null, formError);
            }

            if (LegacyGrokDialect.IsLegacyModel(form!.Text("model")))
            {
                return Tag(Dialect.LegacyGrok, LegacyGrokDialect.Parse(form, catalog, options.MaxImageBytes));
            }

            var (resolved, urlError) = await imageUrls.ResolveAsync(form, options.MaxImageBytes, ct);
            return urlError is not null
                ? (Dialect.OpenAi, null, urlError)
                : Tag(Dialect.OpenAi, OpenAiDialect.Parse(resolved!, catalog, options.DefaultModel, options.MaxImageBytes));
        }

        if (!WireBody.IsJson(request))
        {
            return (Dialect.Seed, null, WireBody.UnsupportedMediaType(request, multipart: true));
        }

        var (document, jsonError) = await WireBody.ReadJsonAsync(request, ct);
        if (jsonError is not null)
        {
            return (Dialect.Seed, null, jsonError);
        }

        using (document)
        {
            var root = document!.RootElement;
            if (!IsOpenAiJson(root))
            {
                return Tag(Dialect.Seed, SeedDialect.Parse(root, catalog, options.MaxImageBytes));
            }

            var (form, flattenError) = FormBody.FromJson(root);
            if (flattenError is not null)
            {
                return (Dialect.OpenAi, null, flattenError);
            }

            var (resolved, urlError) = await imageUrls.ResolveAsync(form!, options.MaxImageBytes, ct);
            return urlError is not null
                ? (Dialect.OpenAi, null, urlError)
                : Tag(Dialect.OpenAi, OpenAiDialect.Parse(resolved!, catalog, options.DefaultModel, options.MaxImageBytes));
        }
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

    private static (Dialect, VideoRequest?, ApiError?) Tag(Dialect dialect, (VideoRequest? Request, ApiError? Error) parsed)
        => (dialect, parsed.Request, parsed.Error);
}
