using Vidgate.Contracts;
using Vidgate.Server.Hosting;
using Vidgate.Server.Models;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Dialects;

/// <summary>
/// The resellers' multipart dialect for <c>grok-video-1.5</c> / <c>grok-video-3</c> and their <c>-pro</c>/<c>-max</c>
/// tiers: <c>model, prompt, seconds, aspect_ratio, size</c> (480P 540P 720P 1080P) and repeatable
/// <c>input_reference</c> file parts. Answers in the seed's shape and vocabulary.
/// </summary>
internal static class LegacyGrokDialect
{
    public const string ModelPrefix = "grok-video-";

    private static readonly HashSet<string> Fields = ["model", "prompt", "seconds", "aspect_ratio", "size", "input_reference"];

    public static bool IsLegacyModel(string? model) => model?.Trim().StartsWith(ModelPrefix, StringComparison.Ordinal) == true;

    public static (VideoRequest? Request, ApiError? Error) Parse(FormBody form, ModelCatalog catalog, long maxImageBytes)
    {
        if (form.FirstUnknown(Fields) is { } unknown)
        {
            return (null, ApiError.Invalid(unknown, $"Unknown field '{RequestRules.Clip(unknown)}'. Accepted: {string.Join(", ", Fields)}.", "unknown_parameter"));
        }

        if (form.FirstRepeated(except: "input_reference") is { } repeated)
        {
            return (null, ApiError.Invalid(repeated, $"'{repeated}' was sent more than once.", "duplicate_parameter"));
        }

        var modelName = form.Text("model")!.Trim();
        if (catalog.Find(modelName) is not { } model)
        {
            var known = catalog.Names.Where(IsLegacyModel);
            return (null, ApiError.Invalid("model", $"Unknown model '{RequestRules.Clip(modelName)}'. Available: {string.Join(", ", known)}.", "model_not_found"));
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

        var (aspect, ratio, aspectError) = RequestRules.AspectRatio(form.Text("aspect_ratio"));
        if (aspectError is not null)
        {
            return (null, aspectError);
        }

        var (shortSide, sizeError) = RequestRules.Resolution(form.Text("size"), model, "size");
        if (sizeError is not null)
        {
            return (null, sizeError);
        }

        var (images, imageError) = Images(form, Math.Min(SeedDialect.MaxImages, model.MaxImages), maxImageBytes);
        if (imageError is not null)
        {
            return (null, imageError);
        }

        var (width, height) = RequestRules.OutputSize(shortSide, ratio);
        return (new VideoRequest(modelName, prompt!, seconds, width, height, aspect, $"{shortSide}P", images), null);
    }

    public static SeedVideo Render(VideoTask task, string videoUrl) => SeedDialect.Render(task, videoUrl);

    // File parts in order; a text part holding a data URI is accepted too (some clients send images that way).
    private static (IReadOnlyList<InputImage>, ApiError?) Images(FormBody form, int maxImages, long maxImageBytes)
    {
        var texts = form.Fields.TryGetValue("input_reference", out var values) ? values.ToArray() : [];
        var files = form.Files.Where(f => f.Name == "input_reference").ToList();
        if (files.Count + texts.Length > maxImages)
        {
            return ([], ApiError.Invalid("input_reference", $"At most {maxImages} input_reference images; got {files.Count + texts.Length}.", "too_many_images"));
        }

        var images = new List<InputImage>();
        for (var i = 0; i < files.Count; i++)
        {
            var param = files.Count + texts.Length > 1 ? $"input_reference[{i}]" : "input_reference";
            var (image, error) = files[i].Bytes is null
                ? (null, ApiError.Invalid(param, $"'{param}' is larger than the {maxImageBytes / (1024 * 1024)} MB limit for one image.", "image_too_large"))
                : RequestRules.FileImage(files[i].Bytes!, maxImageBytes, param);
            if (error is not null)
            {
                return ([], error);
            }

            images.Add(image!);
        }

        foreach (var text in texts)
        {
            var (image, error) = RequestRules.ImageUrl(text, maxImageBytes, $"input_reference[{images.Count}]");
            if (error is not null)
            {
                return ([], error);
            }

            images.Add(image!);
        }

        return (images, null);
    }
}
