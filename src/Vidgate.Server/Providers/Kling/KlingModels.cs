using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Kling;

/// <summary>
/// What each Kling model accepts (vendors.md part B §1.2, the capability map): lengths, output heights (std = 720p,
/// pro = 1080p where the model has both) and, for text-to-video, ratios. Matched by name prefix, longest first;
/// <c>options.models</c> overrides it.
/// </summary>
internal static class KlingModels
{
    private static readonly string[] Ratios = ["16:9", "9:16", "1:1"];
    private static readonly int[] FiveOrTen = [5, 10];

    /// <summary><c>Modes</c>: whether the model has the std/pro split (std 720p, pro 1080p); without it no <c>mode</c> is sent.</summary>
    private static readonly (string Prefix, ModelSpec Spec, bool Modes)[] Families =
    [
        ("kling-v2-1-master", new ModelSpec(FiveOrTen, [1080], Ratios), false),
        ("kling-v2-5-turbo", new ModelSpec(FiveOrTen, [1080], Ratios), false),
        ("kling-v2-master", new ModelSpec(FiveOrTen, [720], Ratios), false),
        ("kling-v2-1", new ModelSpec(FiveOrTen, [720, 1080], Ratios), true),
        // v2.6 is sold in pro mode only (Kling's own sample sends "pro"; the capability map read has no v2.6 row).
        ("kling-v2-6", new ModelSpec(FiveOrTen, [1080], Ratios), true),
        ("kling-v1-5", new ModelSpec(FiveOrTen, [720, 1080], Ratios), true),
        ("kling-v1-6", new ModelSpec(FiveOrTen, [720, 1080], Ratios), true),
        ("kling-v1", new ModelSpec(FiveOrTen, [720], Ratios), true),
        ("kling-v3", new ModelSpec([.. Enumerable.Range(3, 13)], [720, 1080], Ratios), true),
    ];

    public static ModelSpec For(string model, VendorOptions options)
        => options.Models.TryGetValue(model, out var own) ? own : Family(model).Spec;

    /// <summary><c>std</c> or <c>pro</c> for the fitted height, or null for a model without the split.</summary>
    public static string? Mode(string model, Fitted fit) => Family(model).Modes ? (fit.Resolution >= 1080 ? "pro" : "std") : null;

    private static (string Prefix, ModelSpec Spec, bool Modes) Family(string model)
        => Families.FirstOrDefault(f => model.StartsWith(f.Prefix, StringComparison.OrdinalIgnoreCase)) is { Spec: not null } family
            ? family
            : ("", new ModelSpec(FiveOrTen, [720, 1080], Ratios), true);
}
