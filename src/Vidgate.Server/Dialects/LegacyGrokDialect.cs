using Vidgate.Contracts;
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

    private static readonly HashSet<string> Fields = ["model", "prompt", "seconds", "aspect_ratio", "size", "input_reference", "callback_url"];

    public static bool IsLegacyModel(string? model) => model?.Trim().StartsWith(ModelPrefix, StringComparison.Ordinal) == true;

    /// <summary>Translates a create; unknown or repeated fields are refused here, every rule runs in the ladder.</summary>
    public static (CreateDraft? Draft, ApiError? Error) Translate(FormBody form)
    {
        if (form.FirstUnknown(Fields) is { } unknown)
        {
            return (null, CreateErrors.UnknownField(unknown, Fields));
        }

        if (form.FirstRepeated(except: "input_reference") is { } repeated)
        {
            return (null, CreateErrors.Repeated(repeated));
        }

        var draft = new CreateDraft(
            Dialect.LegacyGrok,
            new Field(form.Text("model")!.Trim(), "model"),
            new Field(form.Text("prompt"), "prompt"),
            new Field(form.Text("seconds"), "seconds"),
            new Field(form.Text("aspect_ratio"), "aspect_ratio"),
            new Field(form.Text("size"), "size"))
        {
            ListedModels = IsLegacyModel,
            Images = Images(form),
            Count = ImageCount.LegacyReferences,
            CallbackUrl = new Field(form.Text("callback_url"), "callback_url"),
        };
        return (draft, null);
    }

    public static SeedVideo Render(VideoTask task, string videoUrl) => SeedDialect.Render(task, videoUrl);

    // File parts in order; a text part holding a data URI is accepted too (some clients send images that way). URLs are
    // not fetched for this dialect: the ladder refuses them.
    private static List<ImageInput> Images(FormBody form)
    {
        var texts = form.Fields.TryGetValue("input_reference", out var values) ? values.ToArray() : [];
        var files = form.Files.Where(f => f.Name == "input_reference").ToList();
        var total = files.Count + texts.Length;
        var images = files.Select((file, i) => new ImageInput(total > 1 ? $"input_reference[{i}]" : "input_reference", ImageSource.File, Bytes: file.Bytes)).ToList();
        images.AddRange(texts.Select((text, i) => new ImageInput($"input_reference[{files.Count + i}]", ImageSource.Url, text)));
        return images;
    }
}
