namespace Vidgate.Server.Models;

/// <summary>One model's limits and where it runs. Data, not code: later providers plug in by adding entries.</summary>
internal sealed class ModelSpec
{
    public int MaxSeconds { get; set; } = 15;
    public int DefaultSeconds { get; set; } = 6;

    /// <summary>When set, the only durations accepted (OpenAI's <c>"4" "8" "12"</c>); otherwise any 1..<see cref="MaxSeconds"/>.</summary>
    public int[] AllowedSeconds { get; set; } = [];

    /// <summary>Tier models (<c>grok-video-3-pro</c> = 10 s, <c>-max</c> = 15 s) ignore the caller's seconds.</summary>
    public int? FixedSeconds { get; set; }

    /// <summary>Short-side pixel counts callers may ask for, e.g. 480 and 720.</summary>
    public int[] Resolutions { get; set; } = [480, 720];

    public int DefaultResolution { get; set; } = 720;

    /// <summary>When set, the only <c>WxH</c> sizes accepted (OpenAI models); otherwise any size the resolutions and ratios allow.</summary>
    public string[] Sizes { get; set; } = [];

    /// <summary>The size used when an OpenAI-dialect request names none; null: 16:9 at the default resolution.</summary>
    public string? DefaultSize { get; set; }

    public int MaxImages { get; set; } = 7;

    /// <summary>The provider route; with nothing configured every model renders on <c>builtin</c>.</summary>
    public string Provider { get; set; } = "builtin";

    /// <summary>Another catalog model whose provider renders this one (e.g. <c>sora-2</c> → <c>grok-imagine-video</c>).</summary>
    public string? AliasOf { get; set; }

    /// <summary>Free text for operators (the admin API shows it).</summary>
    public string? Description { get; set; }
}

/// <summary>
/// Section <c>Models</c>: model name → <see cref="ModelSpec"/>. Defaults ship <c>grok-imagine-video</c>, the legacy
/// <c>grok-video-*</c> family, and <c>sora-2</c>/<c>sora-2-pro</c> as aliases so OpenAI clients work unchanged.
/// </summary>
internal sealed class ModelCatalogOptions
{
    public const string Section = "Models";

    private static readonly int[] LegacyTiers = [480, 540, 720, 1080];
    private static readonly int[] SoraSeconds = [4, 8, 12];

    public Dictionary<string, ModelSpec> Models { get; set; } = new(StringComparer.Ordinal)
    {
        ["grok-imagine-video"] = new ModelSpec(),
        ["grok-video-1.5"] = Legacy(null),
        ["grok-video-1.5-pro"] = Legacy(10),
        ["grok-video-1.5-max"] = Legacy(15),
        ["grok-video-3"] = Legacy(null),
        ["grok-video-3-pro"] = Legacy(10),
        ["grok-video-3-max"] = Legacy(15),
        ["sora-2"] = Sora(["720x1280", "1280x720"], [720]),
        ["sora-2-pro"] = Sora(["720x1280", "1280x720", "1024x1792", "1792x1024"], [720, 1024]),
    };

    private static ModelSpec Legacy(int? fixedSeconds) => new()
    {
        Resolutions = LegacyTiers,
        FixedSeconds = fixedSeconds,
        DefaultSeconds = fixedSeconds ?? 6,
        AliasOf = "grok-imagine-video",
    };

    private static ModelSpec Sora(string[] sizes, int[] shortSides) => new()
    {
        MaxSeconds = 12,
        DefaultSeconds = 4,
        AllowedSeconds = SoraSeconds,
        Resolutions = shortSides,
        Sizes = sizes,
        DefaultSize = "720x1280",
        MaxImages = 1,
        AliasOf = "grok-imagine-video",
    };
}

