using System.Text.Json;

namespace Vidgate.Server.Dialects;

/// <summary>
/// Every 400 a create can answer, each message, code and param written once: the dialects, the validation ladder and the
/// image fetch all name their refusals from here, so one wording change reaches every dialect.
/// </summary>
internal static class CreateErrors
{
    // The body and its fields, as the dialects read them.
    public static ApiError NotAnObject(JsonValueKind kind) =>
        ApiError.Invalid("body", $"The body must be a JSON object; got {RequestRules.Describe(kind)}.", "invalid_json");

    public static ApiError NotAString(string name, JsonValueKind kind) =>
        ApiError.Invalid(name, $"'{name}' must be a string; got {RequestRules.Describe(kind)}.", "invalid_type");

    /// <summary>OpenAI's wording (its SDKs show it as is).</summary>
    public static ApiError UnknownParameter(string name, IEnumerable<string> accepted) =>
        ApiError.Invalid(name, $"Unknown parameter: '{RequestRules.Clip(name)}'. Accepted: {string.Join(", ", accepted)}.", "unknown_parameter");

    /// <summary>The legacy resellers' wording.</summary>
    public static ApiError UnknownField(string name, IEnumerable<string> accepted) =>
        ApiError.Invalid(name, $"Unknown field '{RequestRules.Clip(name)}'. Accepted: {string.Join(", ", accepted)}.", "unknown_parameter");

    public static ApiError Repeated(string name) => ApiError.Invalid(name, $"'{name}' was sent more than once.", "duplicate_parameter");

    // Model and prompt.
    public static ApiError MissingModel() => ApiError.Invalid("model", "'model' is required, e.g. \"grok-imagine-video\".", "missing_field");

    public static ApiError UnknownModel(string name, IEnumerable<string> available) =>
        ApiError.Invalid("model", $"Unknown model '{RequestRules.Clip(name)}'. Available: {string.Join(", ", available)}.", "model_not_found");

    public static ApiError MissingPrompt(string param) => ApiError.Invalid(param, "'prompt' is required and must not be empty.", "missing_field");

    public static ApiError PromptTooLong(string param, int codePoints, int limit) =>
        ApiError.Invalid(param, $"'prompt' is {codePoints} characters long; the limit is {limit}.", "prompt_too_long");

    // Seconds.
    public static ApiError SecondsNotWhole(string param, string? got = null) => ApiError.Invalid(
        param, got is null ? $"'{param}' must be a whole number of seconds, e.g. \"6\"." : $"'{param}' must be a whole number of seconds, e.g. \"6\"; got \"{RequestRules.Clip(got)}\".", "invalid_seconds");

    public static ApiError SecondsType(string param) => ApiError.Invalid(param, $"'{param}' must be a string or a number, e.g. \"6\".", "invalid_seconds");

    public static ApiError SecondsNotAllowed(string param, long seconds, string model, IEnumerable<int> allowed) => ApiError.Invalid(
        param, $"'{param}' is {seconds}; {model} makes {string.Join(", ", allowed.Select(a => $"\"{a}\""))} seconds.", "invalid_seconds");

    public static ApiError SecondsTooShort(string param) => ApiError.Invalid(param, $"'{param}' must be at least 1.", "invalid_seconds");

    public static ApiError SecondsTooLong(string param, long seconds, string model, int max) =>
        ApiError.Invalid(param, $"'{param}' is {seconds}; {model} makes at most {max} seconds.", "invalid_seconds");

    // Aspect ratio, resolution, size.
    public static ApiError AspectOutOfRange(string param, string label) =>
        ApiError.Invalid(param, $"'{param}' {RequestRules.Clip(label)} is outside the supported range 1:4 to 4:1.", "invalid_aspect_ratio");

    public static ApiError AspectInvalid(string param, string label) => ApiError.Invalid(
        param, $"'{param}' must be one of {string.Join(", ", RequestRules.PresetRatios)} or a custom N:M ratio such as 5:4; got \"{RequestRules.Clip(label)}\".", "invalid_aspect_ratio");

    public static ApiError ResolutionInvalid(string param, IEnumerable<int> resolutions, string got) =>
        ApiError.Invalid(param, $"'{param}' must be {string.Join(" or ", resolutions.Select(r => $"{r}P"))}; got \"{RequestRules.Clip(got)}\".", "invalid_resolution");

    /// <summary>The seed's wording for a resolution that is neither a string nor a number.</summary>
    public static ApiError ResolutionType(string param, JsonValueKind kind) =>
        ApiError.Invalid(param, $"'{param}' must be a string such as \"720P\"; got {RequestRules.Describe(kind)}.", "invalid_resolution");

    public static ApiError SizeMalformed(string param, string got) =>
        ApiError.Invalid(param, $"'{param}' must be WIDTHxHEIGHT, e.g. \"1280x720\"; got \"{RequestRules.Clip(got)}\".", "invalid_size");

    public static ApiError SizeNotSupported(string param, string got, string model, string supported) =>
        ApiError.Invalid(param, $"'{param}' {RequestRules.Clip(got)} is not supported by {model}; use {supported}.", "invalid_size");

    // How many images.
    public static ApiError ImageAndImages() =>
        ApiError.Invalid("images", "Pass either 'image' (one data URI) or 'images' (an array), not both.", "conflicting_fields");

    public static ApiError ImageAndReferences() =>
        ApiError.Invalid("reference_images", "Pass either 'image' or 'reference_images', not both.", "conflicting_fields");

    public static ApiError ImagesNotAnArray(JsonValueKind kind) =>
        ApiError.Invalid("images", $"'images' must be an array of data URIs; got {RequestRules.Describe(kind)}.", "invalid_image");

    public static ApiError ImagesCount(int max, int count) => ApiError.Invalid("images", $"'images' must hold 1 to {max} images; got {count}.", "too_many_images");

    public static ApiError ReferenceImagesCount(int max) =>
        ApiError.Invalid("reference_images", $"'reference_images' must be an array of 1 to {max} {{\"url\": …}} objects.", "too_many_images");

    public static ApiError InputReferencesCount(int max, int count) =>
        ApiError.Invalid("input_reference", $"At most {max} input_reference images; got {count}.", "too_many_images");

    public static ApiError ModelImageCount(string model, int max) =>
        ApiError.Invalid("input_reference", $"{model} takes at most {max} reference image(s).", "too_many_images");

    public static ApiError OneInputReference() =>
        ApiError.Invalid("input_reference", "Give one input_reference: a file, an image_url or a file_id.", "too_many_images");

    public static ApiError FileIdNotSupported() => ApiError.Invalid(
        "input_reference[file_id]", "File ids are not supported here; upload the image as the input_reference file or send input_reference[image_url] as a data URL.", "file_id_not_supported");

    // One image.
    public static ApiError NotADataUriString(string param, JsonValueKind kind) =>
        ApiError.Invalid(param, $"'{param}' must be a data URI string; got {RequestRules.Describe(kind)}.", "invalid_image");

    public static ApiError NotAUrlObject(string param) =>
        ApiError.Invalid(param, $"'{param}' must be an object {{\"url\": \"data:image/png;base64,...\"}}.", "invalid_image");

    public static ApiError ImageTooLarge(string param, long maxBytes) =>
        ApiError.Invalid(param, $"'{param}' is larger than the {maxBytes / (1024 * 1024)} MB limit for one image.", "image_too_large");

    public static ApiError TooManyPixels(string param, int width, int height, long maxPixels) => ApiError.Invalid(
        param, $"'{param}' is {width}×{height} pixels; images of up to {maxPixels / 1_000_000} megapixels (e.g. 8192×6000) are accepted.", "image_too_large");

    public static ApiError NotAnImage(string param, string message) => ApiError.Invalid(param, message, "invalid_image");

    public static ApiError AnimatedWebp(string param) =>
        ApiError.Invalid(param, $"'{param}' is an animated WebP; send a still PNG, JPEG or WebP image.", "unsupported_image_type");

    public static ApiError ImageUrlNotFetched(string param) => ApiError.Invalid(
        param, $"'{param}' is a URL; fetching image URLs is not enabled on this server yet. Send the image as a data URL (data:image/png;base64,...) or as a file.", "image_url_not_supported");

    public static ApiError DataUriMissing(string param) => ApiError.Invalid(param, $"'{param}' must be a data URI such as data:image/png;base64,....", "invalid_image");

    public static ApiError DataUriNotData(string param) =>
        ApiError.Invalid(param, $"'{param}' must be a data URI (data:image/png;base64,...); URLs are not fetched.", "invalid_image");

    public static ApiError DataUriNoComma(string param) => ApiError.Invalid(param, $"'{param}' is not a valid data URI: there is no ',' before the data.", "invalid_image");

    public static ApiError DataUriNotBase64(string param) => ApiError.Invalid(param, $"'{param}' must be base64-encoded (data:image/png;base64,...).", "invalid_image");

    public static ApiError DataUriType(string param, string mediaType) =>
        ApiError.Invalid(param, $"'{param}' has type '{RequestRules.Clip(mediaType)}'; PNG, JPEG and WebP are supported.", "unsupported_image_type");

    public static ApiError DataUriBadBase64(string param) => ApiError.Invalid(param, $"'{param}' is not valid base64.", "invalid_image");

    // An image URL fetched at create time.
    public static ApiError ImageUrlInvalid(string param) => ApiError.Invalid(param, $"'{param}' must be an http(s) URL or a data URL.", "invalid_image_url");

    public static ApiError ImageUrlStatus(string param, int status) => ApiError.Invalid(param, $"Fetching '{param}' returned HTTP {status}.", "image_url_unreachable");

    public static ApiError ImageUrlTooLarge(string param, long maxBytes) =>
        ApiError.Invalid(param, $"The image at '{param}' is larger than the {maxBytes / (1024 * 1024)} MB limit for one image.", "image_too_large");

    public static ApiError ImageUrlNotAnImage(string param) => ApiError.Invalid(param, $"'{param}' does not point at a PNG, JPEG or WebP image.", "invalid_image");

    public static ApiError ImageUrlRefused(string param, string reason) => ApiError.Invalid(param, $"'{param}' cannot be fetched: {reason}.", "image_url_refused");

    public static ApiError ImageUrlTimeout(string param, TimeSpan limit) =>
        ApiError.Invalid(param, $"Fetching '{param}' took longer than {limit.TotalSeconds:0} s.", "image_url_unreachable");

    public static ApiError ImageUrlFailed(string param, string reason) => ApiError.Invalid(param, $"'{param}' could not be fetched: {reason}", "image_url_unreachable");
}
