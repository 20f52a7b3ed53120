using System.Text.Json;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Dialects;

/// <summary>
/// One field of a create as a dialect read it off the wire: its text (null when absent) or, for a JSON number, its value;
/// the param that errors about it name; or why the wire value could not be read at all. That error is kept, not
/// returned, so the ladder still reports problems in one order whatever the dialect.
/// </summary>
internal readonly record struct Field(string? Text, string Param, ApiError? Error = null, double? Number = null)
{
    public static Field Absent(string param) => new(null, param);

    /// <summary>An optional JSON string field; another JSON type is an <c>invalid_type</c> error naming it.</summary>
    public static Field String(JsonElement body, string name) => body.TryGetProperty(name, out var value)
        ? value.ValueKind switch
        {
            JsonValueKind.Null => Absent(name),
            JsonValueKind.String => new Field(value.GetString(), name),
            var kind => new Field(null, name, CreateErrors.NotAString(name, kind)),
        }
        : Absent(name);

    /// <summary>Whole seconds as a JSON string ("8") or number (8).</summary>
    public static Field Seconds(JsonElement body, string name) => body.TryGetProperty(name, out var value)
        ? value.ValueKind switch
        {
            JsonValueKind.Null => Absent(name),
            JsonValueKind.String => new Field(value.GetString(), name),
            JsonValueKind.Number => new Field(null, name, Number: value.TryGetDouble(out var d) ? d : double.NaN),
            _ => new Field(null, name, CreateErrors.SecondsType(name)),
        }
        : Absent(name);
}

/// <summary>Where an image came from, which decides how it is checked.</summary>
internal enum ImageSource
{
    /// <summary>A string that must be a <c>data:</c> URI (the seed dialect fetches nothing).</summary>
    DataUri,

    /// <summary>A URL field: a data URL, or an http(s) URL fetched through the SSRF guard when <see cref="ImageInput.Fetch"/>.</summary>
    Url,

    /// <summary>An uploaded file part; null bytes mean it was over the size limit.</summary>
    File,
}

/// <summary>One reference image of a create, unchecked.</summary>
internal sealed record ImageInput(string Param, ImageSource Source, string? Text = null, byte[]? Bytes = null, ApiError? Error = null)
{
    /// <summary>Remote URLs of this input are fetched (xAI, OpenAI); the legacy dialect refuses them.</summary>
    public bool Fetch { get; init; }

    /// <summary>The param a fetch failure names (OpenAI's plain <c>input_reference</c> field differs from its decode param).</summary>
    public string? FetchParam { get; init; }

    public bool IsRemote => Source == ImageSource.Url && Fetch && RequestRules.IsHttpUrl(Text);
}

/// <summary>Which count rule a dialect's image list follows, and how its refusal reads.</summary>
internal enum ImageCount
{
    /// <summary>A single-image field (<c>image</c>): no count rule.</summary>
    None,

    /// <summary>Seed <c>images</c>: 1 to min(7, model) images.</summary>
    SeedImages,

    /// <summary>xAI <c>reference_images</c>: 1 to min(7, model) <c>{url}</c> objects.</summary>
    XaiReferences,

    /// <summary>Legacy <c>input_reference</c> parts: at most min(7, model).</summary>
    LegacyReferences,

    /// <summary>OpenAI: at most what the model takes.</summary>
    OpenAi,
}

/// <summary>
/// What a dialect translated a create into: its own field names and wire quirks are gone; every rule is still to run
/// (<see cref="CreateLadder"/>). <see cref="Size"/> (OpenAI's <c>WxH</c>) replaces aspect ratio and resolution.
/// </summary>
internal sealed record CreateDraft(Dialect Dialect, Field Model, Field Prompt, Field Seconds, Field AspectRatio, Field Resolution)
{
    public Field? Size { get; init; }

    /// <summary>Only these models are listed when the model is unknown (the legacy dialect lists its own family).</summary>
    public Func<string, bool>? ListedModels { get; init; }

    public IReadOnlyList<ImageInput> Images { get; init; } = [];

    /// <summary>A problem with the image fields as a whole (both forms given, a list that is not a list), reported at the image step.</summary>
    public ApiError? ImagesError { get; init; }

    /// <summary>An image list was given but is empty or not a list: refused by the count rule.</summary>
    public bool ImageListInvalid { get; init; }

    public ImageCount Count { get; init; }

    /// <summary>The optional <c>callback_url</c> (every dialect carries it: a top-level JSON field or a form field).</summary>
    public Field? CallbackUrl { get; init; }

    /// <summary>The http(s) image URLs to fetch before the images are checked, each with the param its failure names.</summary>
    public IEnumerable<ImageInput> RemoteImages => Images.Where(i => i.IsRemote);
}
