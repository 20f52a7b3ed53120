using System.Globalization;
using Vidgate.Contracts;
using Vidgate.Server.Hosting;
using Vidgate.Server.Models;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Dialects;

/// <summary>
/// OpenAI's Videos API as the openai SDKs speak it: <c>prompt, model, seconds, size, input_reference</c> (a file part,
/// or <c>input_reference[image_url]</c>) as multipart or JSON; the exact <c>Video</c> object out. Only this file knows it.
/// </summary>
internal static class OpenAiDialect
{
    /// <summary>How long OpenAI's pollers (openai-python) should wait between retrieves.</summary>
    public const string PollAfterHeader = "openai-poll-after-ms";

    private static readonly HashSet<string> CreateFields =
        ["prompt", "model", "seconds", "size", "input_reference", "input_reference[image_url]", "input_reference[file_id]"];

    private static readonly HashSet<string> RemixFields = ["prompt"];

    public static (VideoRequest? Request, ApiError? Error) Parse(FormBody form, ModelCatalog catalog, string defaultModel, long maxImageBytes)
    {
        if (Shape(form, CreateFields) is { } shapeError)
        {
            return (null, shapeError);
        }

        var modelName = form.Text("model")?.Trim() is { Length: > 0 } m ? m : defaultModel;
        if (catalog.Find(modelName) is not { } model)
        {
            return (null, ApiError.Invalid("model", $"Unknown model '{RequestRules.Clip(modelName)}'. Available: {string.Join(", ", catalog.Names)}.", "model_not_found"));
        }

        var prompt = form.Text("prompt");
        if (RequestRules.Prompt(prompt) is { } promptError)
        {
            return (null, promptError);
        }

        var (seconds, secondsError) = RequestRules.Seconds(form.Text("seconds"), model, modelName);
        if (secondsError is not null)
        {
            return (null, secondsError);
        }

        var (width, height, aspect, resolution, sizeError) = RequestRules.Size(form.Text("size"), model, modelName);
        if (sizeError is not null)
        {
            return (null, sizeError);
        }

        var (images, imageError) = Reference(form, maxImageBytes);
        if (imageError is not null)
        {
            return (null, imageError);
        }

        return images.Count > model.MaxImages
            ? (null, ApiError.Invalid("input_reference", $"{modelName} takes at most {model.MaxImages} reference image(s).", "too_many_images"))
            : (new VideoRequest(modelName, prompt!, seconds, width, height, aspect, resolution, images), null);
    }

    /// <summary><c>POST /v1/videos/{id}/remix</c>: only a new prompt.</summary>
    public static (string? Prompt, ApiError? Error) ParseRemix(FormBody form)
    {
        if (Shape(form, RemixFields) is { } shapeError)
        {
            return (null, shapeError);
        }

        var prompt = form.Text("prompt");
        return RequestRules.Prompt(prompt) is { } error ? (null, error) : (prompt, null);
    }

    public static OpenAiVideo Render(VideoTask task, string videoUrl) => new(
        task.Id,
        "video",
        task.Model,
        Status(task.Status),
        task.Progress,
        task.CreatedAt.ToUnixTimeSeconds(),
        task.CompletedAt?.ToUnixTimeSeconds(),
        task.ExpiresAt?.ToUnixTimeSeconds(),
        task.Prompt,
        $"{task.Width}x{task.Height}",
        task.Seconds.ToString(CultureInfo.InvariantCulture),
        task.RemixedFromId,
        task.ErrorCode is null ? null : new VideoError(task.ErrorCode, task.ErrorMessage ?? task.ErrorCode),
        videoUrl.Length == 0 ? null : videoUrl);

    public static OpenAiVideoList RenderList(IReadOnlyList<VideoTask> page, bool hasMore, Func<VideoTask, string> videoUrl) => new(
        "list",
        [.. page.Select(task => Render(task, videoUrl(task)))],
        page.Count > 0 ? page[0].Id : null,
        page.Count > 0 ? page[^1].Id : null,
        hasMore);

    /// <summary>Milliseconds a poller should wait before the next retrieve; null once nothing will change.</summary>
    public static string? PollAfterMs(VideoTask task) => task.IsFinished ? null : task.Status == VideoStatus.Queued ? "2000" : "1000";

    // A cancelled task reads "failed" with error.code "cancelled": the SDKs know exactly four statuses.
    private static string Status(VideoStatus status) => status switch
    {
        VideoStatus.Queued => "queued",
        VideoStatus.Processing => "in_progress",
        VideoStatus.Completed => "completed",
        VideoStatus.Failed or VideoStatus.Cancelled => "failed",
        _ => throw new System.Diagnostics.UnreachableException(),
    };

    private static ApiError? Shape(FormBody form, IReadOnlySet<string> known)
    {
        if (form.FirstUnknown(known) is { } unknown)
        {
            return ApiError.Invalid(unknown, $"Unknown parameter: '{RequestRules.Clip(unknown)}'. Accepted: {string.Join(", ", known)}.", "unknown_parameter");
        }

        return form.FirstRepeated() is { } repeated
            ? ApiError.Invalid(repeated, $"'{repeated}' was sent more than once.", "duplicate_parameter")
            : null;
    }

    private static (IReadOnlyList<InputImage>, ApiError?) Reference(FormBody form, long maxImageBytes)
    {
        const string param = "input_reference";
        var files = form.Files.Where(f => f.Name == param).ToList();
        var url = form.Text("input_reference[image_url]") ?? form.Text(param);
        var sources = files.Count + (url is null ? 0 : 1) + (form.Text("input_reference[file_id]") is null ? 0 : 1);
        if (sources > 1)
        {
            return ([], ApiError.Invalid(param, "Give one input_reference: a file, an image_url or a file_id.", "too_many_images"));
        }

        if (form.Text("input_reference[file_id]") is not null)
        {
            return ([], ApiError.Invalid("input_reference[file_id]", "File ids are not supported here; upload the image as the input_reference file or send input_reference[image_url] as a data URL.", "file_id_not_supported"));
        }

        if (files.Count == 1)
        {
            var file = files[0];
            var (image, error) = file.Bytes is null
                ? (null, ApiError.Invalid(param, $"'{param}' is larger than the {maxImageBytes / (1024 * 1024)} MB limit for one image.", "image_too_large"))
                : RequestRules.FileImage(file.Bytes, maxImageBytes, param);
            return error is null ? ([image!], null) : ([], error);
        }

        if (url is not null)
        {
            var (image, error) = RequestRules.ImageUrl(url, maxImageBytes, "input_reference[image_url]");
            return error is null ? ([image!], null) : ([], error);
        }

        return ([], null);
    }
}
