using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Veo;

/// <summary>
/// What each Veo family accepts on the Gemini API (vendors.md §1.3, the documented parameter table), matched by the
/// model name's prefix so that a new dated version of a family needs no code; <c>options.models</c> overrides it.
/// </summary>
internal static class VeoModels
{
    private static readonly string[] Ratios = ["16:9", "9:16"];

    private static readonly (string Prefix, ModelSpec Spec)[] Families =
    [
        ("veo-2", new ModelSpec([5, 6, 8], [720], Ratios)),
        ("veo-3.0", new ModelSpec([4, 6, 8], [720, 1080], Ratios)),
        ("veo-3.1", new ModelSpec([4, 6, 8], [720, 1080, 2160], Ratios)),
        ("veo-3", new ModelSpec([4, 6, 8], [720, 1080], Ratios)),
    ];

    /// <summary>The newest family's values for a name no prefix matches (a renamed preview keeps working).</summary>
    private static readonly ModelSpec Default = Families[2].Spec;

    public static ModelSpec For(string model, VendorOptions options)
        => options.Models.TryGetValue(model, out var own) ? own : Families.FirstOrDefault(f => model.StartsWith(f.Prefix, StringComparison.OrdinalIgnoreCase)).Spec ?? Default;

    /// <summary>Veo 2 takes no <c>resolution</c> parameter (720p only).</summary>
    public static bool TakesResolution(string model) => !model.StartsWith("veo-2", StringComparison.OrdinalIgnoreCase);

    /// <summary>Reference images (several inputs) are Veo 3.1's only, and make an 8 s video.</summary>
    public static bool TakesReferenceImages(string model) => !(model.StartsWith("veo-2", StringComparison.OrdinalIgnoreCase) || model.StartsWith("veo-3.0", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The documented combinations a plain snap can miss: Veo 3.1 makes 1080p and 4k only at 8 s, Veo 3.0 makes 1080p
    /// only at 16:9. Null when <paramref name="fit"/> is possible; otherwise what breaks it.
    /// </summary>
    public static string? Conflict(string model, Fitted fit)
    {
        if (fit.Resolution > 720 && fit.Seconds != 8 && model.StartsWith("veo-3.1", StringComparison.OrdinalIgnoreCase))
        {
            return $"{fit.ResolutionLabel} is made only at 8 seconds";
        }

        return fit.Resolution > 720 && fit.Ratio != "16:9" && model.StartsWith("veo-3.0", StringComparison.OrdinalIgnoreCase)
            ? $"{fit.ResolutionLabel} is made only at 16:9"
            : null;
    }
}
