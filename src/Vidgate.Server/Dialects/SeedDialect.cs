using System.Text.Json;
using Vidgate.Contracts;
using Vidgate.Server.Models;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Dialects;

/// <summary>
/// The grok-imagine-video JSON dialect of the starting document: <c>model, prompt, seconds, aspect_ratio, resolution,
/// image | images</c> in; the seed's task object out. The only place that knows this wire format.
/// </summary>
internal static class SeedDialect
{
    /// <summary>Translates a create; only a body that is not an object is refused here, every rule runs in the ladder.</summary>
    public static (CreateDraft? Draft, ApiError? Error) Translate(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return (null, CreateErrors.NotAnObject(body.ValueKind));
        }

        var draft = new CreateDraft(
            Dialect.Seed,
            Field.String(body, "model"),
            Field.String(body, "prompt"),
            Field.Seconds(body, "seconds"),
            Field.String(body, "aspect_ratio"),
            Resolution(body))
        {
            CallbackUrl = Field.String(body, "callback_url"),
        };
        return (Images(body, draft), null);
    }

    public static SeedVideo Render(VideoTask task, string videoUrl) => new(
        task.Id,
        "video",
        task.Model,
        task.Status.Word(),
        task.Progress,
        task.CreatedAt.ToUnixTimeSeconds(),
        task.CompletedAt?.ToUnixTimeSeconds(),
        task.ExpiresAt?.ToUnixTimeSeconds(),
        task.Seconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        task.Resolution,
        task.AspectRatio,
        videoUrl,
        task.ErrorCode is null ? null : new VideoError(task.ErrorCode, task.ErrorMessage ?? task.ErrorCode));

    // Numeric forms are accepted as JSON numbers too: "resolution": 720.
    private static Field Resolution(JsonElement body) => body.TryGetProperty("resolution", out var value)
        ? value.ValueKind switch
        {
            JsonValueKind.Null => Field.Absent("resolution"),
            JsonValueKind.String => new Field(value.GetString(), "resolution"),
            JsonValueKind.Number => new Field(value.GetRawText(), "resolution"),
            var kind => new Field(null, "resolution", CreateErrors.ResolutionType("resolution", kind)),
        }
        : Field.Absent("resolution");

    // "image": one data URI, or "images": 1 to 7 of them; never both.
    private static CreateDraft Images(JsonElement body, CreateDraft draft)
    {
        var image = body.TryGetProperty("image", out var i) && i.ValueKind != JsonValueKind.Null ? i : (JsonElement?)null;
        var images = body.TryGetProperty("images", out var a) && a.ValueKind != JsonValueKind.Null ? a : (JsonElement?)null;
        if (image is not null && images is not null)
        {
            return draft with { ImagesError = CreateErrors.ImageAndImages() };
        }

        if (image is { } single)
        {
            return draft with { Images = [DataUri(single, "image")] };
        }

        if (images is not { } array)
        {
            return draft;
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            return draft with { ImagesError = CreateErrors.ImagesNotAnArray(array.ValueKind) };
        }

        return draft with
        {
            Images = [.. array.EnumerateArray().Select((item, index) => DataUri(item, $"images[{index}]"))],
            ImageListInvalid = array.GetArrayLength() == 0,
            Count = ImageCount.SeedImages,
        };
    }

    private static ImageInput DataUri(JsonElement value, string param) => value.ValueKind == JsonValueKind.String
        ? new ImageInput(param, ImageSource.DataUri, value.GetString())
        : new ImageInput(param, ImageSource.DataUri, Error: CreateErrors.NotADataUriString(param, value.ValueKind));
}
