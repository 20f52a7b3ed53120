using System.Globalization;
using System.Text;
using System.Text.Json;
using Vidgate.Server.Models;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Dialects;

/// <summary>
/// The validation rules every dialect shares (DESIGN §1): prompt length, whole seconds, aspect ratios, resolutions,
/// data-URI images, and the output size derived from them. Each failure names the offending field.
/// </summary>
internal static class RequestRules
{
    public const int MaxPromptCodePoints = 4096;

    public static readonly string[] PresetRatios =
        ["1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "2:1", "1:2", "19.5:9", "9:19.5", "20:9", "9:20"];

    public static ApiError? Prompt(string? prompt, string param = "prompt")
    {
        if (string.IsNullOrWhiteSpace(prompt))
        {
            return CreateErrors.MissingPrompt(param);
        }

        var codePoints = prompt.EnumerateRunes().Count();
        return codePoints > MaxPromptCodePoints
            ? CreateErrors.PromptTooLong(param, codePoints, MaxPromptCodePoints)
            : null;
    }

    /// <summary>Whole seconds from a form field or query text ("8"); absent gives the model's default.</summary>
    public static (int Seconds, ApiError? Error) Seconds(string? text, ModelSpec model, string modelName, string param = "seconds")
    {
        if (text is null)
        {
            return (model.FixedSeconds ?? model.DefaultSeconds, null);
        }

        var s = text.Trim();
        return long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds)
            ? Seconds(seconds, model, modelName, param)
            : (0, CreateErrors.SecondsNotWhole(param, s));
    }

    public static (int Seconds, ApiError? Error) Seconds(long seconds, ModelSpec model, string modelName, string param = "seconds")
    {
        // Tier models (-pro, -max) have one length; whatever well-formed value the caller sent is overridden.
        if (model.FixedSeconds is { } fixedSeconds)
        {
            return (fixedSeconds, null);
        }

        if (model.AllowedSeconds.Length > 0 && !model.AllowedSeconds.Contains((int)Math.Clamp(seconds, int.MinValue, int.MaxValue)))
        {
            return (0, CreateErrors.SecondsNotAllowed(param, seconds, modelName, model.AllowedSeconds));
        }

        if (seconds < 1)
        {
            return (0, CreateErrors.SecondsTooShort(param));
        }

        return seconds > model.MaxSeconds
            ? (0, CreateErrors.SecondsTooLong(param, seconds, modelName, model.MaxSeconds))
            : ((int)seconds, null);
    }

    /// <summary>A preset or a custom <c>N:M</c> of positive decimals between 1:4 and 4:1. Returns the label and W/H.</summary>
    public static (string Label, double Ratio, ApiError? Error) AspectRatio(string? value, string param = "aspect_ratio")
    {
        if (value is null)
        {
            return ("16:9", 16.0 / 9, null);
        }

        var label = value.Trim();
        var parts = label.Split(':');
        if (parts.Length == 2
            && TryPositive(parts[0], out var w)
            && TryPositive(parts[1], out var h))
        {
            var ratio = w / h;
            if (ratio is >= 0.25 and <= 4.0)
            {
                return (label, ratio, null);
            }

            return (label, 0, CreateErrors.AspectOutOfRange(param, label));
        }

        return (label, 0, CreateErrors.AspectInvalid(param, label));
    }

    /// <summary>480P/720P, 480/720, any case; limited to what the model supports. Returns the short side in pixels.</summary>
    public static (int ShortSide, ApiError? Error) Resolution(string? value, ModelSpec model, string param = "resolution")
    {
        if (value is null)
        {
            return (model.DefaultResolution, null);
        }

        var text = value.Trim();
        var digits = text.EndsWith('p') || text.EndsWith('P') ? text[..^1] : text;
        if (int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var pixels) && model.Resolutions.Contains(pixels))
        {
            return (pixels, null);
        }

        return (0, CreateErrors.ResolutionInvalid(param, model.Resolutions, text));
    }

    /// <summary>
    /// An OpenAI <c>WxH</c> size. Models with a size list accept only those; others accept any even size whose short
    /// side is one of their resolutions and whose ratio is within 1:4..4:1. Returns the size, its ratio label and tier.
    /// </summary>
    public static (int Width, int Height, string Aspect, string Resolution, ApiError? Error) Size(string? value, ModelSpec model, string modelName, string param = "size")
    {
        var text = (value ?? model.DefaultSize)?.Trim();
        if (text is null)
        {
            var (width, height) = OutputSize(model.DefaultResolution, 16.0 / 9);
            return (width, height, "16:9", $"{model.DefaultResolution}P", null);
        }

        var parts = text.Split('x', 'X');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var w)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var h)
            || w <= 0 || h <= 0)
        {
            return (0, 0, "", "", CreateErrors.SizeMalformed(param, text));
        }

        var shortSide = Math.Min(w, h);
        var allowed = model.Sizes.Length > 0
            ? model.Sizes.Contains($"{w}x{h}", StringComparer.Ordinal)
            : model.Resolutions.Contains(shortSide) && w % 2 == 0 && h % 2 == 0 && (double)Math.Max(w, h) / shortSide <= 4;
        if (!allowed)
        {
            var supported = model.Sizes.Length > 0
                ? string.Join(", ", model.Sizes)
                : $"even sizes whose short side is {string.Join(" or ", model.Resolutions)} (ratio up to 4:1)";
            return (0, 0, "", "", CreateErrors.SizeNotSupported(param, text, modelName, supported));
        }

        var divisor = (int)System.Numerics.BigInteger.GreatestCommonDivisor(w, h);
        return (w, h, $"{w / divisor}:{h / divisor}", $"{shortSide}P", null);
    }

    /// <summary>
    /// An image given as a URL field that was not fetched: a data URL. Remote URLs of the dialects that allow them are
    /// fetched by the create path after the ladder and checked as <see cref="FetchedImage"/>; one that is not fetched (the
    /// legacy dialect's text parts) gets a clear refusal, never a fetch from inside a rule.
    /// </summary>
    public static (InputImage? Image, ApiError? Error) ImageUrl(string? url, long maxBytes, string param)
    {
        var text = url?.Trim() ?? "";
        if (IsHttpUrl(text))
        {
            return (null, CreateErrors.ImageUrlNotFetched(param));
        }

        return DataUriImage(text, maxBytes, param);
    }

    /// <summary>An uploaded file part, checked by its bytes (the declared type is ignored).</summary>
    public static (InputImage? Image, ApiError? Error) FileImage(byte[] data, long maxBytes, string param)
    {
        if (data.LongLength > maxBytes)
        {
            return (null, CreateErrors.ImageTooLarge(param, maxBytes));
        }

        return Checked(data, param, $"'{param}' is not a PNG, JPEG or WebP image.");
    }

    /// <summary>The bytes fetched for an image URL (already size-capped and sniffed by the fetch), checked as a data URL's would be.</summary>
    public static (InputImage? Image, ApiError? Error) FetchedImage(byte[] data, string param) =>
        Checked(data, param, $"'{param}' does not decode to a PNG, JPEG or WebP image.");

    /// <summary>An http(s) URL (leading blanks ignored): fetched through the SSRF guard where the dialect allows it.</summary>
    public static bool IsHttpUrl(string? text)
    {
        var trimmed = text.AsSpan().TrimStart();
        return trimmed.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || trimmed.StartsWith("http://", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Largest decoded image, in pixels. A small file can declare a huge canvas (a flat 16384×16384 PNG is a few KB
    /// and 1 GB once decoded), so the byte limit alone does not bound what the renderer or an upstream must hold.
    /// </summary>
    public const long MaxImagePixels = 50_000_000;

    private static (InputImage? Image, ApiError? Error) Checked(byte[] data, string param, string notAnImage)
    {
        if (ImageSniffer.Sniff(data) is not { } sniffed)
        {
            return (null, CreateErrors.NotAnImage(param, notAnImage));
        }

        if (ImageSniffer.IsAnimatedWebp(data))
        {
            return (null, CreateErrors.AnimatedWebp(param));
        }

        return (long)sniffed.Width * sniffed.Height > MaxImagePixels
            ? (null, CreateErrors.TooManyPixels(param, sniffed.Width, sniffed.Height, MaxImagePixels))
            : (new InputImage(data, sniffed.Kind, sniffed.Width, sniffed.Height), null);
    }

    /// <summary>Short side = the resolution; long side = the nearest even integer to short × ratio.</summary>
    public static (int Width, int Height) OutputSize(int shortSide, double ratio) => ratio >= 1
        ? (NearestEven(shortSide * ratio), shortSide)
        : (shortSide, NearestEven(shortSide / ratio));

    /// <summary>Decodes a <c>data:image/...;base64,</c> URI into a checked PNG, JPEG or WebP image.</summary>
    public static (InputImage? Image, ApiError? Error) DataUriImage(string? uri, long maxBytes, string param)
    {
        if (string.IsNullOrWhiteSpace(uri))
        {
            return (null, CreateErrors.DataUriMissing(param));
        }

        if (!uri.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            return (null, CreateErrors.DataUriNotData(param));
        }

        var comma = uri.IndexOf(',', StringComparison.Ordinal);
        if (comma < 0)
        {
            return (null, CreateErrors.DataUriNoComma(param));
        }

        var header = uri.AsSpan(5, comma - 5);
        if (!header.EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
        {
            return (null, CreateErrors.DataUriNotBase64(param));
        }

        var mediaType = header[..^7].ToString().Split(';')[0].Trim().ToLowerInvariant();
        if (mediaType is not ("image/png" or "image/jpeg" or "image/jpg" or "image/webp"))
        {
            return (null, CreateErrors.DataUriType(param, mediaType));
        }

        var payload = uri.AsSpan(comma + 1);
        if ((long)payload.Length / 4 * 3 > maxBytes + 3)
        {
            return (null, CreateErrors.ImageTooLarge(param, maxBytes));
        }

        var bytes = new byte[payload.Length / 4 * 3 + 3];
        if (!Convert.TryFromBase64Chars(payload, bytes, out var written))
        {
            return (null, CreateErrors.DataUriBadBase64(param));
        }

        if (written > maxBytes)
        {
            return (null, CreateErrors.ImageTooLarge(param, maxBytes));
        }

        var data = bytes.AsSpan(0, written).ToArray();
        return Checked(data, param, $"'{param}' does not decode to a PNG, JPEG or WebP image.");
    }

    private static int NearestEven(double value) => (int)Math.Round(value / 2, MidpointRounding.AwayFromZero) * 2;

    private static bool TryPositive(string text, out double value) =>
        double.TryParse(text.Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value)
        && value > 0 && double.IsFinite(value);

    /// <summary>Echoes at most a little of the caller's input back in error messages.</summary>
    public static string Clip(string text) => text.Length <= 40 ? text : text[..40] + "…";

    public static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString().ToLowerInvariant(),
    };

    public static string Joined(IEnumerable<string> names) => new StringBuilder().AppendJoin(", ", names).ToString();
}
