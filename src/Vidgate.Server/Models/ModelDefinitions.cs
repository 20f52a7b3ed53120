using System.Globalization;
using System.Text.Json.Serialization;

namespace Vidgate.Server.Models;

/// <summary>
/// <c>POST /admin/models</c> and <c>PUT /admin/models/{name}</c>: a model's limits, the fields of the
/// <c>Vidgate:Models</c> configuration in snake case. A PUT replaces the whole definition: what it leaves out takes
/// the default, as in the configuration.
/// </summary>
internal sealed record ModelDefinition(
    string? Name,
    string? AliasOf,
    int? MaxSeconds,
    int? DefaultSeconds,
    int[]? AllowedSeconds,
    int? FixedSeconds,
    int[]? Resolutions,
    int? DefaultResolution,
    string[]? Sizes,
    string? DefaultSize,
    int? MaxImages,
    string? Description);

/// <summary>A catalog model as the admin API shows it; <c>provider</c> is the configured one (routes override it).</summary>
internal sealed record ModelDefinitionInfo(
    string Name,
    string Object,
    string? AliasOf,
    int MaxSeconds,
    int DefaultSeconds,
    int[] AllowedSeconds,
    int? FixedSeconds,
    int[] Resolutions,
    int DefaultResolution,
    string[] Sizes,
    string? DefaultSize,
    int MaxImages,
    string? Description,
    string Provider,
    long CreatedAt,
    long UpdatedAt)
{
    public static ModelDefinitionInfo From(ModelRecord r) => new(
        r.Name, "model.definition", r.Spec.AliasOf, r.Spec.MaxSeconds, r.Spec.DefaultSeconds, r.Spec.AllowedSeconds, r.Spec.FixedSeconds,
        r.Spec.Resolutions, r.Spec.DefaultResolution, r.Spec.Sizes, r.Spec.DefaultSize, r.Spec.MaxImages, r.Spec.Description, r.Spec.Provider,
        r.CreatedAt.ToUnixTimeSeconds(), r.UpdatedAt.ToUnixTimeSeconds());
}

internal sealed record ModelDefinitionList(string Object, IReadOnlyList<ModelDefinitionInfo> Data);

internal sealed record ModelDeleted(string Id, string Object, [property: JsonPropertyName("deleted")] bool IsDeleted);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ModelDefinition))]
[JsonSerializable(typeof(ModelDefinitionInfo))]
[JsonSerializable(typeof(ModelDefinitionList))]
[JsonSerializable(typeof(ModelDeleted))]
internal sealed partial class ModelAdminJson : JsonSerializerContext;

/// <summary>
/// What a model definition must satisfy: every rule a create is later checked against has to be satisfiable (a default
/// the model itself would refuse is a 400 here, not a broken model), each failure a 400 naming the field.
/// </summary>
internal static class ModelRules
{
    public const int MaxNameLength = 100;
    public const int MaxSecondsLimit = 600;
    public const int MinResolution = 144;
    public const int MaxResolution = 4320;
    public const int MaxImagesLimit = 16;
    public const int MaxDescription = 1000;

    /// <summary>
    /// The spec <paramref name="body"/> describes for model <paramref name="name"/>, or the first rule it breaks.
    /// <paramref name="find"/> reads the catalog (aliases must name an existing model and never come back to this one);
    /// <paramref name="provider"/> is kept from the stored model (it is configuration, not an admin field).
    /// </summary>
    public static (ModelSpec? Spec, ApiError? Error) ToSpec(string name, ModelDefinition body, Func<string, ModelSpec?> find, string provider)
    {
        if (NameError(name) is { } nameError)
        {
            return (null, nameError);
        }

        var spec = new ModelSpec { Provider = provider, Description = body.Description };
        if (body.Description is { Length: > MaxDescription })
        {
            return (null, ApiError.Invalid("description", $"description is at most {MaxDescription} characters."));
        }

        if (body.AliasOf is { } alias)
        {
            if (find(alias) is null || alias == name)
            {
                return (null, ApiError.Invalid("alias_of", alias == name
                    ? "A model cannot be an alias of itself."
                    : $"alias_of names no model in the catalog: '{alias}' (see GET /admin/models).", alias == name ? "alias_cycle" : "unknown_model"));
            }

            // Walk the target's chain: coming back to this model would make an alias loop.
            var seen = new HashSet<string>(StringComparer.Ordinal) { name };
            for (var next = alias; next is not null; next = find(next)?.AliasOf)
            {
                if (!seen.Add(next))
                {
                    return (null, ApiError.Invalid("alias_of", $"alias_of '{alias}' leads back to '{name}' (an alias cycle).", "alias_cycle"));
                }
            }

            spec.AliasOf = alias;
        }

        if (body.MaxSeconds is { } max && max is < 1 or > MaxSecondsLimit)
        {
            return (null, ApiError.Invalid("max_seconds", $"max_seconds is a whole number of seconds from 1 to {MaxSecondsLimit}."));
        }

        spec.MaxSeconds = body.MaxSeconds ?? Math.Max(spec.MaxSeconds, body.AllowedSeconds is { Length: > 0 } a ? a.Max() : 0);
        spec.MaxSeconds = Math.Min(spec.MaxSeconds, MaxSecondsLimit);
        if (body.AllowedSeconds is { } allowed)
        {
            if (allowed.Any(s => s < 1 || s > spec.MaxSeconds) || allowed.Distinct().Count() != allowed.Length)
            {
                return (null, ApiError.Invalid("allowed_seconds", $"allowed_seconds is a list of distinct durations from 1 to max_seconds ({spec.MaxSeconds}), or empty for any."));
            }

            spec.AllowedSeconds = [.. allowed.Order()];
        }

        if (body.FixedSeconds is { } fixedSeconds && (fixedSeconds < 1 || fixedSeconds > spec.MaxSeconds || !Accepts(spec, fixedSeconds)))
        {
            return (null, ApiError.Invalid("fixed_seconds", $"fixed_seconds must be from 1 to max_seconds ({spec.MaxSeconds}) and one of allowed_seconds when those are given."));
        }

        spec.FixedSeconds = body.FixedSeconds;
        var defaultSeconds = body.DefaultSeconds ?? body.FixedSeconds
            ?? (spec.AllowedSeconds.Length > 0 ? spec.AllowedSeconds[0] : Math.Min(spec.DefaultSeconds, spec.MaxSeconds));
        if (defaultSeconds < 1 || defaultSeconds > spec.MaxSeconds || !Accepts(spec, defaultSeconds)
            || (spec.FixedSeconds is { } f && defaultSeconds != f))
        {
            return (null, ApiError.Invalid("default_seconds", "default_seconds must be a duration the model accepts: 1 to max_seconds, one of allowed_seconds when given, and fixed_seconds when that is set."));
        }

        spec.DefaultSeconds = defaultSeconds;
        if (body.Resolutions is { } resolutions)
        {
            if (resolutions.Length == 0 || resolutions.Any(r => r is < MinResolution or > MaxResolution || r % 2 != 0) || resolutions.Distinct().Count() != resolutions.Length)
            {
                return (null, ApiError.Invalid("resolutions", $"resolutions is a non-empty list of distinct even short sides in pixels from {MinResolution} to {MaxResolution}, e.g. [480, 720]."));
            }

            spec.Resolutions = [.. resolutions.Order()];
        }

        var defaultResolution = body.DefaultResolution ?? (spec.Resolutions.Contains(720) ? 720 : spec.Resolutions[^1]);
        if (!spec.Resolutions.Contains(defaultResolution))
        {
            return (null, ApiError.Invalid("default_resolution", $"default_resolution must be one of resolutions ({string.Join(", ", spec.Resolutions)})."));
        }

        spec.DefaultResolution = defaultResolution;
        if (body.Sizes is { } sizes)
        {
            if (sizes.FirstOrDefault(s => !IsSize(s, spec.Resolutions)) is { } bad || sizes.Distinct(StringComparer.Ordinal).Count() != sizes.Length)
            {
                return (null, ApiError.Invalid("sizes", $"sizes is a list of distinct \"WxH\" sizes (even numbers, ratio up to 4:1) whose short side is one of resolutions ({string.Join(", ", spec.Resolutions)})."));
            }

            spec.Sizes = sizes;
        }

        if (body.DefaultSize is { } defaultSize && (spec.Sizes.Length > 0 ? !spec.Sizes.Contains(defaultSize, StringComparer.Ordinal) : !IsSize(defaultSize, spec.Resolutions)))
        {
            return (null, ApiError.Invalid("default_size", spec.Sizes.Length > 0
                ? $"default_size must be one of sizes ({string.Join(", ", spec.Sizes)})."
                : "default_size must be a \"WxH\" size the model accepts (short side one of resolutions)."));
        }

        spec.DefaultSize = body.DefaultSize ?? (spec.Sizes.Length > 0 ? spec.Sizes[0] : null);
        if (body.MaxImages is { } images && images is < 0 or > MaxImagesLimit)
        {
            return (null, ApiError.Invalid("max_images", $"max_images is from 0 to {MaxImagesLimit}."));
        }

        spec.MaxImages = body.MaxImages ?? spec.MaxImages;
        return (spec, null);
    }

    public static ApiError? NameError(string? name)
        => string.IsNullOrWhiteSpace(name)
            ? ApiError.Invalid("name", "Name the model (letters, digits, '.', '-', '_', ':').", "missing_field")
            : name.Length > MaxNameLength || !char.IsAsciiLetterOrDigit(name[0]) || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or ':')
                ? ApiError.Invalid("name", $"A model name is 1–{MaxNameLength} letters, digits, '.', '-', '_' or ':', starting with a letter or digit.")
                : null;

    private static bool Accepts(ModelSpec spec, int seconds) => spec.AllowedSeconds.Length == 0 || spec.AllowedSeconds.Contains(seconds);

    private static bool IsSize(string? text, int[] resolutions)
    {
        var parts = text?.Split('x') ?? [];
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var w)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var h)
            || w <= 0 || h <= 0 || w % 2 != 0 || h % 2 != 0)
        {
            return false;
        }

        var shortSide = Math.Min(w, h);
        return resolutions.Contains(shortSide) && (double)Math.Max(w, h) / shortSide <= 4 && $"{w}x{h}" == text;
    }
}
