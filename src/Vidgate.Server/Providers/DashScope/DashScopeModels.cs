using System.Globalization;
using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.DashScope;

/// <summary>
/// What each Wan model accepts (vendors.md part B §3.2): lengths and resolution tiers per model; text-to-video takes an
/// exact <c>size</c> (<c>"1280*720"</c>) from its tier's table, image-to-video only a tier (<c>720P</c>), the shape
/// following the image. Matched by name prefix, longest first; <c>options.models</c> overrides it.
/// </summary>
internal static class DashScopeModels
{
    private static readonly string[] Ratios = ["16:9", "9:16", "1:1", "4:3", "3:4"];
    private static readonly int[] Five = [5];
    private static readonly int[] FiveTen = [5, 10];
    private static readonly int[] FiveTenFifteen = [5, 10, 15];

    private static readonly (string Prefix, ModelSpec Spec)[] Families =
    [
        ("wan2.6-t2v", new ModelSpec(FiveTenFifteen, [720, 1080], Ratios)),
        ("wan2.5-t2v", new ModelSpec(FiveTen, [480, 720, 1080], Ratios)),
        ("wan2.2-t2v-plus", new ModelSpec(Five, [480, 1080], Ratios)),
        ("wanx2.1-t2v-turbo", new ModelSpec(Five, [480, 720], Ratios)),
        ("wanx2.1-t2v-plus", new ModelSpec(Five, [720], Ratios)),
        ("wan2.6-i2v-flash", new ModelSpec([.. Enumerable.Range(2, 14)], [720, 1080], Ratios)),
        ("wan2.6-i2v", new ModelSpec(FiveTenFifteen, [720, 1080], Ratios)),
        ("wan2.5-i2v", new ModelSpec(FiveTen, [480, 720, 1080], Ratios)),
        ("wan2.2-i2v-plus", new ModelSpec(Five, [480, 1080], Ratios)),
        ("wan2.2-i2v-flash", new ModelSpec(Five, [480, 720], Ratios)),
        ("wanx2.1-i2v-turbo", new ModelSpec([3, 4, 5], [480, 720], Ratios)),
        ("wanx2.1-i2v-plus", new ModelSpec(Five, [720], Ratios)),
        ("wan2.2-kf2v-flash", new ModelSpec(Five, [480, 720, 1080], Ratios)),
        ("wanx2.1-kf2v-plus", new ModelSpec(Five, [720], Ratios)),
    ];

    /// <summary>Wan 2.5's values for a name no prefix matches (the model the example maps).</summary>
    private static readonly ModelSpec Default = new(FiveTen, [480, 720, 1080], Ratios);

    /// <summary>The <c>size</c> values of each text-to-video tier, by ratio (480P has no 4:3 or 3:4).</summary>
    private static readonly Dictionary<int, Dictionary<string, string>> Sizes = new()
    {
        [480] = new() { ["16:9"] = "832*480", ["9:16"] = "480*832", ["1:1"] = "624*624" },
        [720] = new() { ["16:9"] = "1280*720", ["9:16"] = "720*1280", ["1:1"] = "960*960", ["4:3"] = "1088*832", ["3:4"] = "832*1088" },
        [1080] = new() { ["16:9"] = "1920*1080", ["9:16"] = "1080*1920", ["1:1"] = "1440*1440", ["4:3"] = "1632*1248", ["3:4"] = "1248*1632" },
    };

    public static ModelSpec For(string model, VendorOptions options)
    {
        if (options.Models.TryGetValue(model, out var own))
        {
            return own;
        }

        return Families.Where(f => model.StartsWith(f.Prefix, StringComparison.OrdinalIgnoreCase)).OrderByDescending(f => f.Prefix.Length).Select(f => f.Spec).FirstOrDefault() ?? Default;
    }

    /// <summary>First-and-last-frame models take their own endpoint and two image fields.</summary>
    public static bool IsKeyframes(string model) => model.Contains("kf2v", StringComparison.OrdinalIgnoreCase);

    /// <summary>The ratios the tier of <paramref name="resolution"/> has a size for (all five for a tier not in the table).</summary>
    public static IReadOnlyList<string> RatiosAt(int resolution) => Sizes.TryGetValue(resolution, out var sizes) ? [.. sizes.Keys] : Ratios;

    /// <summary>The <c>size</c> for a fitted tier and ratio: from the table, or <c>W*H</c> computed for a tier an operator added.</summary>
    public static string Size(Fitted fit)
        => Sizes.TryGetValue(fit.Resolution, out var sizes) && sizes.TryGetValue(fit.Ratio, out var size)
            ? size
            : string.Create(CultureInfo.InvariantCulture, $"{fit.Width}*{fit.Height}");

    public static string Label(int resolution) => resolution.ToString(CultureInfo.InvariantCulture) + "P";
}
