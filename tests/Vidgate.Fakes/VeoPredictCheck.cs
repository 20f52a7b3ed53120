using System.Text.Json;

namespace Vidgate.Fakes;

/// <summary>
/// How one Veo host words and bounds the <c>predictLongRunning</c> body: the Gemini API (<see cref="FakeVeo"/>) and Vertex
/// AI (<see cref="FakeVertex"/>) check the same shape, each in its own words and with its own limits.
/// </summary>
/// <param name="EmptyPrompt">The refusal of a missing or blank prompt.</param>
/// <param name="BadImage">The refusal of an <c>image</c> the host cannot take.</param>
/// <param name="IsImage">Whether an image object is one the host takes (Gemini: inline bytes only; Vertex: bytes or a gcsUri).</param>
/// <param name="Lengths">The lengths a model makes.</param>
/// <param name="Resolution">The refusal of a <c>resolution</c> value for a model, or null when it is taken.</param>
/// <param name="Unsupported">Checked first among the parameters: the ones the host refuses outright (Gemini's Vertex-only fields).</param>
/// <param name="More">Checked last among the parameters (Vertex's <c>sampleCount</c> and <c>storageUri</c>).</param>
internal sealed record VeoPredictRules(
    string EmptyPrompt,
    string BadImage,
    Func<JsonElement, bool> IsImage,
    Func<string, int[]> Lengths,
    Func<string?, string, string?> Resolution,
    Func<JsonElement, string?>? Unsupported = null,
    Func<JsonElement, string?>? More = null);

/// <summary>The one check of a Veo predict body: one instance with a prompt, an image or 1–3 reference images (not both), parameters in range.</summary>
internal static class VeoPredictCheck
{
    /// <summary>What is wrong with <paramref name="body"/> for <paramref name="model"/>, in the host's words; null when it is valid.</summary>
    public static string? Invalid(JsonElement? body, string model, VeoPredictRules rules)
    {
        if (body is not { ValueKind: JsonValueKind.Object } root
            || !root.TryGetProperty("instances", out var instances) || instances.ValueKind != JsonValueKind.Array || instances.GetArrayLength() != 1)
        {
            return "instances must hold exactly one instance.";
        }

        var instance = instances[0];
        if (!instance.TryGetProperty("prompt", out var prompt) || prompt.ValueKind != JsonValueKind.String || prompt.GetString()!.Trim().Length == 0)
        {
            return rules.EmptyPrompt;
        }

        if (instance.TryGetProperty("image", out var image) && !rules.IsImage(image))
        {
            return rules.BadImage;
        }

        if (instance.TryGetProperty("referenceImages", out var references)
            && (references.ValueKind != JsonValueKind.Array || references.GetArrayLength() is < 1 or > 3 || image.ValueKind != JsonValueKind.Undefined
                || references.EnumerateArray().Any(r => !r.TryGetProperty("image", out var i) || !rules.IsImage(i))))
        {
            return "referenceImages must be 1 to 3 {image, referenceType} and cannot be combined with image.";
        }

        if (!root.TryGetProperty("parameters", out var parameters) || parameters.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (rules.Unsupported?.Invoke(parameters) is { } unsupported)
        {
            return unsupported;
        }

        if (parameters.TryGetProperty("aspectRatio", out var ratio) && ratio.GetString() is not ("16:9" or "9:16"))
        {
            return "aspectRatio must be 16:9 or 9:16.";
        }

        var lengths = rules.Lengths(model);
        if (parameters.TryGetProperty("durationSeconds", out var seconds) && (seconds.ValueKind != JsonValueKind.Number || !lengths.Contains(seconds.GetInt32())))
        {
            return $"durationSeconds must be one of {string.Join(", ", lengths)} for {model}.";
        }

        if (parameters.TryGetProperty("resolution", out var resolution) && rules.Resolution(resolution.GetString(), model) is { } badResolution)
        {
            return badResolution;
        }

        return rules.More?.Invoke(parameters);
    }
}
