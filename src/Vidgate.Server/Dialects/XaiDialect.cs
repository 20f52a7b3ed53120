using System.Text.Json;
using Vidgate.Contracts;
using Vidgate.Server.Hosting;
using Vidgate.Server.Models;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Dialects;

/// <summary>
/// xAI's native video API (what <c>@ai-sdk/xai</c> sends): <c>POST /v1/videos/generations</c> with
/// <c>prompt, model, duration, aspect_ratio, resolution, image:{url}, reference_images:[{url}]</c> → <c>{request_id}</c>;
/// polled as <c>{status: pending|done|failed|expired, progress, model, video, error}</c>. Only this file knows it.
/// Unknown fields are ignored, as the AI SDK forwards arbitrary provider options into the body.
/// </summary>
internal static class XaiDialect
{
    public const string DefaultModel = "grok-imagine-video";

    /// <summary>
    /// The http(s) image URLs of a create (<c>image.url</c>, <c>reference_images[i].url</c>, or bare strings), to be
    /// fetched through the SSRF guard before <see cref="Parse"/>; malformed shapes are left for Parse to refuse.
    /// </summary>
    public static IReadOnlyList<(string Url, string Param)> RemoteImageUrls(JsonElement body)
    {
        var urls = new List<(string, string)>();
        if (body.ValueKind != JsonValueKind.Object)
        {
            return urls;
        }

        if (Get(body, "image") is { } image && UrlOf(image) is { } single && IsRemote(single))
        {
            urls.Add((single, "image.url"));
        }

        if (Get(body, "reference_images") is { ValueKind: JsonValueKind.Array } references)
        {
            var index = 0;
            foreach (var item in references.EnumerateArray())
            {
                if (UrlOf(item) is { } url && IsRemote(url))
                {
                    urls.Add((url, $"reference_images[{index}].url"));
                }

                index++;
            }
        }

        return urls;
    }

    private static bool IsRemote(string url) =>
        url.TrimStart().StartsWith("https://", StringComparison.OrdinalIgnoreCase) || url.TrimStart().StartsWith("http://", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Parses a create. <paramref name="fetched"/> maps the remote image URLs of <see cref="RemoteImageUrls"/> to the data
    /// URLs fetched for them; without it a remote URL is refused.
    /// </summary>
    public static (VideoRequest? Request, ApiError? Error) Parse(
        JsonElement body, ModelCatalog catalog, long maxImageBytes, IReadOnlyDictionary<string, string>? fetched = null)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return (null, ApiError.Invalid("body", $"The body must be a JSON object; got {RequestRules.Describe(body.ValueKind)}.", "invalid_json"));
        }

        if (Text(body, "model", out var modelText) is { } modelError)
        {
            return (null, modelError);
        }

        var modelName = string.IsNullOrWhiteSpace(modelText) ? DefaultModel : modelText.Trim();
        if (catalog.Find(modelName) is not { } model)
        {
            return (null, ApiError.Invalid("model", $"Unknown model '{RequestRules.Clip(modelName)}'. Available: {string.Join(", ", catalog.Names)}.", "model_not_found"));
        }

        if ((Text(body, "prompt", out var prompt) ?? RequestRules.Prompt(prompt)) is { } promptError)
        {
            return (null, promptError);
        }

        var (seconds, secondsError) = RequestRules.Seconds(Get(body, "duration"), model, modelName, "duration");
        if (secondsError is not null)
        {
            return (null, secondsError);
        }

        if (Text(body, "aspect_ratio", out var aspectText) is { } aspectTypeError)
        {
            return (null, aspectTypeError);
        }

        var (aspect, ratio, aspectError) = RequestRules.AspectRatio(aspectText);
        if (aspectError is not null)
        {
            return (null, aspectError);
        }

        if (Text(body, "resolution", out var resolutionText) is { } resolutionTypeError)
        {
            return (null, resolutionTypeError);
        }

        var (shortSide, resolutionError) = RequestRules.Resolution(resolutionText, model);
        if (resolutionError is not null)
        {
            return (null, resolutionError);
        }

        var (images, imageError) = Images(body, Math.Min(SeedDialect.MaxImages, model.MaxImages), maxImageBytes, fetched);
        if (imageError is not null)
        {
            return (null, imageError);
        }

        var (width, height) = RequestRules.OutputSize(shortSide, ratio);
        return (new VideoRequest(modelName, prompt!, seconds, width, height, aspect, $"{shortSide}P", images), null);
    }

    public static XaiCreated Created(VideoTask task) => new(task.Id);

    public static XaiVideoStatus Render(VideoTask task, string videoUrl)
    {
        var status = task.Status switch
        {
            VideoStatus.Queued or VideoStatus.Processing => "pending",
            VideoStatus.Completed when task.ContentDeletedAt is not null => "expired",
            VideoStatus.Completed => "done",
            VideoStatus.Failed or VideoStatus.Cancelled => "failed",
            _ => throw new System.Diagnostics.UnreachableException(),
        };
        var video = status == "done" && videoUrl.Length > 0 ? new XaiVideoResult(videoUrl, task.Seconds, RespectModeration: true) : null;
        var error = task.ErrorCode is null ? null : new VideoError(task.ErrorCode, task.ErrorMessage ?? task.ErrorCode);
        return new XaiVideoStatus(status, task.Progress, task.Model, video, error);
    }

    private static (IReadOnlyList<InputImage>, ApiError?) Images(JsonElement body, int maxImages, long maxImageBytes, IReadOnlyDictionary<string, string>? fetched)
    {
        var image = Get(body, "image") is { ValueKind: not JsonValueKind.Null } i ? i : (JsonElement?)null;
        var references = Get(body, "reference_images") is { ValueKind: not JsonValueKind.Null } r ? r : (JsonElement?)null;
        if (image is not null && references is not null)
        {
            return ([], ApiError.Invalid("reference_images", "Pass either 'image' or 'reference_images', not both.", "conflicting_fields"));
        }

        if (image is { } single)
        {
            var (decoded, error) = ImageObject(single, maxImageBytes, "image", fetched);
            return error is null ? ([decoded!], null) : ([], error);
        }

        if (references is not { } array)
        {
            return ([], null);
        }

        if (array.ValueKind != JsonValueKind.Array || array.GetArrayLength() is 0 || array.GetArrayLength() > maxImages)
        {
            return ([], ApiError.Invalid("reference_images", $"'reference_images' must be an array of 1 to {maxImages} {{\"url\": …}} objects.", "too_many_images"));
        }

        var images = new List<InputImage>();
        foreach (var item in array.EnumerateArray())
        {
            var (decoded, error) = ImageObject(item, maxImageBytes, $"reference_images[{images.Count}]", fetched);
            if (error is not null)
            {
                return ([], error);
            }

            images.Add(decoded!);
        }

        return (images, null);
    }

    // {"url": "..."} as the AI SDK sends it; a bare string is accepted too (LiteLLM forwards one).
    private static string? UrlOf(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Object when value.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String => u.GetString(),
        _ => null,
    };

    private static (InputImage?, ApiError?) ImageObject(JsonElement value, long maxImageBytes, string param, IReadOnlyDictionary<string, string>? fetched)
    {
        var url = UrlOf(value);
        if (url is not null && fetched?.TryGetValue(url, out var dataUrl) == true)
        {
            url = dataUrl;
        }

        return url is null
            ? (null, ApiError.Invalid(param, $"'{param}' must be an object {{\"url\": \"data:image/png;base64,...\"}}.", "invalid_image"))
            : RequestRules.ImageUrl(url, maxImageBytes, param + ".url");
    }

    private static JsonElement? Get(JsonElement body, string name) => body.TryGetProperty(name, out var value) ? value : null;

    private static ApiError? Text(JsonElement body, string name, out string? value)
    {
        value = null;
        switch (Get(body, name))
        {
            case null or { ValueKind: JsonValueKind.Null }:
                return null;
            case { ValueKind: JsonValueKind.String } s:
                value = s.GetString();
                return null;
            case var other:
                return ApiError.Invalid(name, $"'{name}' must be a string; got {RequestRules.Describe(other.Value.ValueKind)}.", "invalid_type");
        }
    }
}
