using System.Globalization;
using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Fal;

/// <summary>How a fal model's input writes the length: <c>"5"</c> (Kling, Wan 2.5+, Hailuo), <c>"8s"</c> (Veo) or not at all (fixed length).</summary>
internal enum FalDuration
{
    Plain,
    WithS,
    None,
}

/// <summary>
/// One family of fal video models: what it accepts (<see cref="ModelSpec"/>) and the shape of its input: how the length
/// is written, whether it takes <c>resolution</c> (and in which case) and <c>aspect_ratio</c>, and its last-frame field.
/// </summary>
internal sealed record FalFamily(ModelSpec Spec, FalDuration Duration, string? ResolutionCase, bool Ratio, string? TailImage, bool Known = true)
{
    public string? DurationValue(int seconds) => Duration switch
    {
        FalDuration.Plain => seconds.ToString(CultureInfo.InvariantCulture),
        FalDuration.WithS => seconds.ToString(CultureInfo.InvariantCulture) + "s",
        _ => null,
    };

    /// <summary><c>720p</c>, or <c>768P</c> for Hailuo's upper-case labels; null where the model takes no resolution.</summary>
    public string? ResolutionValue(int resolution) => ResolutionCase switch
    {
        "p" => resolution.ToString(CultureInfo.InvariantCulture) + "p",
        "P" => resolution.ToString(CultureInfo.InvariantCulture) + "P",
        _ => null,
    };
}

/// <summary>
/// The common fal video models' inputs (vendors.md §5.6 and each model's <c>llms.txt</c> on fal.ai), matched by model id
/// prefix, longest first, so that <c>fal-ai/kling-video/v2.1/pro/image-to-video</c> and its text sibling share a row. A
/// model id no row matches gets only <c>prompt</c> and <c>image_url</c> (its defaults decide the rest, and the task reports
/// what was asked); <c>options.models</c> gives such a model a table, written in the common fal shape
/// (<c>duration: "5"</c>, <c>resolution: "720p"</c>, <c>aspect_ratio</c>).
/// </summary>
internal static class FalModels
{
    private static readonly string[] Wide = ["16:9", "9:16", "1:1"];
    private static readonly string[] Veo = ["16:9", "9:16"];

    private static readonly (string Prefix, FalFamily Family)[] Families =
    [
        // Kling on fal: "5" | "10", no resolution field (pro/master make 1080p, standard 720p: the model id decides).
        ("fal-ai/kling-video/v2.1/standard", new FalFamily(new ModelSpec([5, 10], [720], Wide), FalDuration.Plain, null, true, "tail_image_url")),
        ("fal-ai/kling-video/v1.6/standard", new FalFamily(new ModelSpec([5, 10], [720], Wide), FalDuration.Plain, null, true, "tail_image_url")),
        ("fal-ai/kling-video", new FalFamily(new ModelSpec([5, 10], [1080], Wide), FalDuration.Plain, null, true, "tail_image_url")),

        // Veo 3 / 3.1 on fal: "4s" | "6s" | "8s", 720p | 1080p, 16:9 | 9:16.
        ("fal-ai/veo3", new FalFamily(new ModelSpec([4, 6, 8], [720, 1080], Veo), FalDuration.WithS, "p", true, null)),

        // Hailuo 02 on fal: "6" | "10", resolution 768P (standard) or 1080P (pro: 6 s only, by its model id).
        ("fal-ai/minimax/hailuo-02/pro", new FalFamily(new ModelSpec([6], [1080], Wide), FalDuration.None, null, false, null)),
        ("fal-ai/minimax/hailuo-02", new FalFamily(new ModelSpec([6, 10], [768], Wide), FalDuration.Plain, null, false, null)),

        // Wan 2.5 on fal: "5" | "10", 480p | 720p | 1080p; the older wan-i2v / wan-t2v make ~5 s at 480p or 720p.
        ("fal-ai/wan-25", new FalFamily(new ModelSpec([5, 10], [480, 720, 1080], Wide), FalDuration.Plain, "p", true, null)),
        ("fal-ai/wan", new FalFamily(new ModelSpec([5], [480, 720], Wide), FalDuration.None, "p", true, null)),
    ];

    public static FalFamily For(string model, VendorOptions options)
    {
        if (options.Models.TryGetValue(model, out var own))
        {
            return new FalFamily(own, FalDuration.Plain, "p", true, null);
        }

        return Families.FirstOrDefault(f => model.StartsWith(f.Prefix, StringComparison.OrdinalIgnoreCase)).Family
               ?? new FalFamily(new ModelSpec([], [], []), FalDuration.None, null, false, null, Known: false);
    }

    /// <summary>
    /// The app a model id belongs to: status, result and cancel URLs use only <c>owner/app</c> (one more segment in the
    /// <c>workflows/</c> and <c>comfy/</c> namespaces), never the model's path.
    /// </summary>
    public static string App(string model)
    {
        var parts = model.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var take = parts.Length > 2 && parts[0] is "workflows" or "comfy" ? 3 : 2;
        return string.Join('/', parts.Take(take));
    }
}
