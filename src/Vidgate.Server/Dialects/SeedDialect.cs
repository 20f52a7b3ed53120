using System.Text.Json;
using Vidgate.Contracts;
using Vidgate.Server.Hosting;
using Vidgate.Server.Models;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Dialects;

/// <summary>
/// The grok-imagine-video JSON dialect of the starting document: <c>model, prompt, seconds, aspect_ratio, resolution,
/// image | images</c> in; the seed's task object out. The only place that knows this wire format.
/// </summary>
internal static class SeedDialect
{
    public const int MaxImages = 7;

    public static (VideoRequest? Request, ApiError? Error) Parse(JsonElement body, ModelCatalog catalog, long maxImageBytes)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return Fail(ApiError.Invalid("body", $"The body must be a JSON object; got {RequestRules.Describe(body.ValueKind)}.", "invalid_json"));
        }

        if (String(body, "model", out var modelName) is { } modelError)
        {
            return Fail(modelError);
        }

        if (string.IsNullOrWhiteSpace(modelName))
        {
            return Fail(ApiError.Invalid("model", "'model' is required, e.g. \"grok-imagine-video\".", "missing_field"));
        }

        if (catalog.Find(modelName) is not { } model)
        {
            return Fail(ApiError.Invalid("model", $"Unknown model '{RequestRules.Clip(modelName)}'. Available: {string.Join(", ", catalog.Names)}.", "model_not_found"));
        }

        if ((String(body, "prompt", out var prompt) ?? RequestRules.Prompt(prompt)) is { } promptError)
        {
            return Fail(promptError);
        }

        var (seconds, secondsError) = RequestRules.Seconds(Get(body, "seconds"), model, modelName);
        if (secondsError is not null)
        {
            return Fail(secondsError);
        }

        if (String(body, "aspect_ratio", out var aspectText) is { } aspectTypeError)
        {
            return Fail(aspectTypeError);
        }

        var (aspect, ratio, aspectError) = RequestRules.AspectRatio(aspectText);
        if (aspectError is not null)
        {
            return Fail(aspectError);
        }

        var (shortSide, resolutionError) = Resolution(body, model);
        if (resolutionError is not null)
        {
            return Fail(resolutionError);
        }

        var (images, imageError) = Images(body, Math.Min(MaxImages, model.MaxImages), maxImageBytes);
        if (imageError is not null)
        {
            return Fail(imageError);
        }

        var (width, height) = RequestRules.OutputSize(shortSide, ratio);
        return (new VideoRequest(modelName, prompt!, seconds, width, height, aspect, $"{shortSide}P", images), null);
    }

    public static SeedVideo Render(VideoTask task, string videoUrl) => new(
        task.Id,
        "video",
        task.Model,
        Status(task.Status),
        task.Progress,
        task.CreatedAt.ToUnixTimeSeconds(),
        task.CompletedAt?.ToUnixTimeSeconds(),
        task.ExpiresAt?.ToUnixTimeSeconds(),
        task.Seconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        task.Resolution,
        task.AspectRatio,
        videoUrl,
        task.ErrorCode is null ? null : new VideoError(task.ErrorCode, task.ErrorMessage ?? task.ErrorCode));

    private static string Status(VideoStatus status) => status switch
    {
        VideoStatus.Queued => "queued",
        VideoStatus.Processing => "processing",
        VideoStatus.Completed => "completed",
        VideoStatus.Failed => "failed",
        VideoStatus.Cancelled => "cancelled",
        _ => throw new System.Diagnostics.UnreachableException(),
    };

    private static (int, ApiError?) Resolution(JsonElement body, ModelSpec model)
    {
        // Numeric forms are accepted as JSON numbers too: "resolution": 720.
        return Get(body, "resolution") switch
        {
            null or { ValueKind: JsonValueKind.Null } => RequestRules.Resolution(null, model),
            { ValueKind: JsonValueKind.String } s => RequestRules.Resolution(s.GetString(), model),
            { ValueKind: JsonValueKind.Number } n => RequestRules.Resolution(n.GetRawText(), model),
            var other => (0, ApiError.Invalid("resolution", $"'resolution' must be a string such as \"720P\"; got {RequestRules.Describe(other.Value.ValueKind)}.", "invalid_resolution")),
        };
    }

    private static (IReadOnlyList<InputImage>, ApiError?) Images(JsonElement body, int maxImages, long maxImageBytes)
    {
        var image = Get(body, "image") is { ValueKind: not JsonValueKind.Null } i ? i : (JsonElement?)null;
        var images = Get(body, "images") is { ValueKind: not JsonValueKind.Null } a ? a : (JsonElement?)null;
        if (image is not null && images is not null)
        {
            return ([], ApiError.Invalid("images", "Pass either 'image' (one data URI) or 'images' (an array), not both.", "conflicting_fields"));
        }

        if (image is { } single)
        {
            if (single.ValueKind != JsonValueKind.String)
            {
                return ([], ApiError.Invalid("image", $"'image' must be a data URI string; got {RequestRules.Describe(single.ValueKind)}.", "invalid_image"));
            }

            var (decoded, error) = RequestRules.DataUriImage(single.GetString(), maxImageBytes, "image");
            return error is null ? ([decoded!], null) : ([], error);
        }

        if (images is not { } array)
        {
            return ([], null);
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            return ([], ApiError.Invalid("images", $"'images' must be an array of data URIs; got {RequestRules.Describe(array.ValueKind)}.", "invalid_image"));
        }

        var count = array.GetArrayLength();
        if (count is 0 || count > maxImages)
        {
            return ([], ApiError.Invalid("images", $"'images' must hold 1 to {maxImages} images; got {count}.", "too_many_images"));
        }

        var result = new List<InputImage>(count);
        var index = 0;
        foreach (var item in array.EnumerateArray())
        {
            var param = $"images[{index++}]";
            if (item.ValueKind != JsonValueKind.String)
            {
                return ([], ApiError.Invalid(param, $"'{param}' must be a data URI string; got {RequestRules.Describe(item.ValueKind)}.", "invalid_image"));
            }

            var (decoded, error) = RequestRules.DataUriImage(item.GetString(), maxImageBytes, param);
            if (error is not null)
            {
                return ([], error);
            }

            result.Add(decoded!);
        }

        return (result, null);
    }

    private static JsonElement? Get(JsonElement body, string name) => body.TryGetProperty(name, out var value) ? value : null;

    /// <summary>Reads an optional string field; a non-string value is an error naming the field.</summary>
    private static ApiError? String(JsonElement body, string name, out string? value)
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

    private static (VideoRequest?, ApiError?) Fail(ApiError error) => (null, error);
}
