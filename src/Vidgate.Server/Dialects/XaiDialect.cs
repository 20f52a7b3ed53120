using System.Text.Json;
using Vidgate.Contracts;
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
    /// Translates a create. Image URLs stay URLs here: http(s) ones are listed by the draft and fetched by the create
    /// path after the ladder counted them, never by this file.
    /// </summary>
    public static (CreateDraft? Draft, ApiError? Error) Translate(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return (null, CreateErrors.NotAnObject(body.ValueKind));
        }

        var model = Field.String(body, "model");
        var draft = new CreateDraft(
            Dialect.Xai,
            model with { Text = string.IsNullOrWhiteSpace(model.Text) ? DefaultModel : model.Text.Trim() },
            Field.String(body, "prompt"),
            Field.Seconds(body, "duration"),
            Field.String(body, "aspect_ratio"),
            Field.String(body, "resolution"))
        {
            CallbackUrl = Field.String(body, "callback_url"),
        };
        return (Images(body, draft), null);
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

    // "image": {url}, or "reference_images": 1 to 7 of them; never both.
    private static CreateDraft Images(JsonElement body, CreateDraft draft)
    {
        var image = body.TryGetProperty("image", out var i) && i.ValueKind != JsonValueKind.Null ? i : (JsonElement?)null;
        var references = body.TryGetProperty("reference_images", out var r) && r.ValueKind != JsonValueKind.Null ? r : (JsonElement?)null;
        if (image is not null && references is not null)
        {
            return draft with { ImagesError = CreateErrors.ImageAndReferences() };
        }

        if (image is { } single)
        {
            return draft with { Images = [ImageObject(single, "image")] };
        }

        if (references is not { } array)
        {
            return draft;
        }

        return array.ValueKind != JsonValueKind.Array
            ? draft with { ImageListInvalid = true, Count = ImageCount.XaiReferences }
            : draft with
            {
                Images = [.. array.EnumerateArray().Select((item, index) => ImageObject(item, $"reference_images[{index}]"))],
                ImageListInvalid = array.GetArrayLength() == 0,
                Count = ImageCount.XaiReferences,
            };
    }

    // {"url": "..."} as the AI SDK sends it; a bare string is accepted too (LiteLLM forwards one).
    private static ImageInput ImageObject(JsonElement value, string param)
    {
        var url = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Object when value.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String => u.GetString(),
            _ => null,
        };
        return url is null
            ? new ImageInput(param, ImageSource.Url, Error: CreateErrors.NotAUrlObject(param))
            : new ImageInput(param + ".url", ImageSource.Url, url) { Fetch = true, FetchParam = param + ".url" };
    }
}
