using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Minimax;

/// <summary>
/// What each MiniMax model accepts (vendors.md part B §2.2, the duration × resolution matrix): Hailuo 2.3 and 02 make 6
/// or 10 s at 768P and 6 s only at 1080P (02 also 512P, image-to-video only); the -01 family makes 6 s at 720P. The v1 API
/// takes no ratio: text-to-video comes out 16:9, image-to-video follows the image. Matched by name prefix, longest
/// first; <c>options.models</c> overrides it.
/// </summary>
internal static class MinimaxModels
{
    private static readonly string[] Wide = ["16:9"];

    private static readonly (string Prefix, ModelSpec Spec)[] Families =
    [
        ("MiniMax-Hailuo-2.3", new ModelSpec([6, 10], [768, 1080], Wide)),
        ("MiniMax-Hailuo-02", new ModelSpec([6, 10], [512, 768, 1080], Wide)),
        ("T2V-01", new ModelSpec([6], [720], Wide)),
        ("I2V-01", new ModelSpec([6], [720], Wide)),
        ("S2V-01", new ModelSpec([6], [720], Wide)),
    ];

    /// <summary>The newest family's values for a name no prefix matches.</summary>
    private static readonly ModelSpec Default = Families[0].Spec;

    public static ModelSpec For(string model, VendorOptions options, bool image)
    {
        if (options.Models.TryGetValue(model, out var own))
        {
            return own;
        }

        var spec = Families.FirstOrDefault(f => model.StartsWith(f.Prefix, StringComparison.OrdinalIgnoreCase)).Spec ?? Default;

        // 512P is Hailuo-02's image-to-video tier only.
        return image || !spec.Resolutions.Contains(512) ? spec : spec with { Resolutions = [.. spec.Resolutions.Where(r => r != 512)] };
    }

    /// <summary>The documented combination a plain snap can miss: 1080P is made at 6 s only (Hailuo 2.3 and 02). Null when possible.</summary>
    public static string? Conflict(Fitted fit) => fit.Resolution >= 1080 && fit.Seconds > 6 ? "1080P is made only at 6 seconds" : null;

    /// <summary>MiniMax's own label: <c>768P</c>, <c>1080P</c>.</summary>
    public static string Label(int resolution) => resolution.ToString(System.Globalization.CultureInfo.InvariantCulture) + "P";
}
