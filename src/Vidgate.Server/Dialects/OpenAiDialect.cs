using System.Globalization;
using Vidgate.Contracts;
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
        ["prompt", "model", "seconds", "size", "input_reference", "input_reference[image_url]", "input_reference[file_id]", "callback_url"];

    private static readonly HashSet<string> RemixFields = ["prompt"];

    /// <summary>
    /// Translates a create (multipart, or JSON flattened into the same fields); unknown or repeated fields are refused
    /// here, every rule runs in the ladder. An http(s) <c>image_url</c> is listed for the create path to fetch.
    /// </summary>
    public static (CreateDraft? Draft, ApiError? Error) Translate(FormBody form, string defaultModel)
    {
        if (Shape(form, CreateFields) is { } shapeError)
        {
            return (null, shapeError);
        }

        var draft = new CreateDraft(
            Dialect.OpenAi,
            new Field(form.Text("model")?.Trim() is { Length: > 0 } m ? m : defaultModel, "model"),
            new Field(form.Text("prompt"), "prompt"),
            new Field(form.Text("seconds"), "seconds"),
            Field.Absent("aspect_ratio"),
            Field.Absent("resolution"))
        {
            Size = new Field(form.Text("size"), "size"),
            Count = ImageCount.OpenAi,
            CallbackUrl = new Field(form.Text("callback_url"), "callback_url"),
        };
        return (Reference(form, draft), null);
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
            return CreateErrors.UnknownParameter(unknown, known);
        }

        return form.FirstRepeated() is { } repeated ? CreateErrors.Repeated(repeated) : null;
    }

    // One input_reference: a file part, an image_url (data URL, or http(s) URL to fetch) or a file_id (refused).
    private static CreateDraft Reference(FormBody form, CreateDraft draft)
    {
        const string param = "input_reference";
        var files = form.Files.Where(f => f.Name == param).ToList();
        var urlField = form.Text("input_reference[image_url]") is not null ? "input_reference[image_url]" : param;
        var url = form.Text(urlField);
        var sources = files.Count + (url is null ? 0 : 1) + (form.Text("input_reference[file_id]") is null ? 0 : 1);
        if (sources > 1)
        {
            return draft with { ImagesError = CreateErrors.OneInputReference() };
        }

        if (form.Text("input_reference[file_id]") is not null)
        {
            return draft with { ImagesError = CreateErrors.FileIdNotSupported() };
        }

        if (files.Count == 1)
        {
            return draft with { Images = [new ImageInput(param, ImageSource.File, Bytes: files[0].Bytes)] };
        }

        return url is null
            ? draft
            : draft with { Images = [new ImageInput("input_reference[image_url]", ImageSource.Url, url) { Fetch = true, FetchParam = urlField }] };
    }
}
