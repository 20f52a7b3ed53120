using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Vidu;

/// <summary>
/// What each Vidu model accepts (vendors.md part B §5.2, the text2video field table): lengths, output heights and ratios.
/// Matched by name prefix, first match wins; <c>options.models</c> overrides it.
/// </summary>
internal static class ViduModels
{
    private static readonly string[] Three = ["16:9", "9:16", "1:1"];
    private static readonly string[] Five = ["16:9", "9:16", "1:1", "4:3", "3:4"];

    private static readonly (string Prefix, ModelSpec Spec)[] Families =
    [
        ("viduq3", new ModelSpec([.. Enumerable.Range(1, 16)], [540, 720, 1080], Five)),
        ("viduq2", new ModelSpec([.. Enumerable.Range(1, 10)], [540, 720, 1080], Five)),
        ("viduq1", new ModelSpec([5], [1080], Three)),
        ("vidu2.0", new ModelSpec([4, 8], [360, 720, 1080], Three)),
        ("vidu1.5", new ModelSpec([4, 8], [360, 720, 1080], Three)),
    ];

    /// <summary>viduq2's values for a name no prefix matches: the model new-api sends, documented on every page read.</summary>
    private static readonly ModelSpec Default = Families[1].Spec;

    public static ModelSpec For(string model, VendorOptions options)
        => options.Models.TryGetValue(model, out var own) ? own : Families.FirstOrDefault(f => model.StartsWith(f.Prefix, StringComparison.OrdinalIgnoreCase)).Spec ?? Default;

    /// <summary>vidu1.5 and vidu2.0 make 8 s only at 720p (the documented rule); null when <paramref name="fit"/> is possible.</summary>
    public static string? Conflict(string model, Fitted fit)
        => fit.Seconds == 8 && fit.Resolution != 720 && (model.StartsWith("vidu1.5", StringComparison.OrdinalIgnoreCase) || model.StartsWith("vidu2.0", StringComparison.OrdinalIgnoreCase))
            ? "8 s is made only at 720p"
            : null;
}
