using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Ark;

/// <summary>
/// What each Seedance model accepts (vendors.md part B §4.2): 2–12 s (1.5 pro: 4–12), 480p/720p/1080p (2.0 fast: no
/// 1080p), six ratios for text-to-video. Matched by a fragment of the model id (Volcengine's <c>doubao-seedance-1-0-pro-250528</c>
/// and BytePlus's <c>seedance-1-0-pro</c> alike); an endpoint id (<c>ep-…</c>) says nothing about its model and gets the
/// default, which <c>options.models</c> can replace per name.
/// </summary>
internal static class ArkModels
{
    private static readonly string[] Ratios = ["16:9", "4:3", "1:1", "3:4", "9:16", "21:9"];
    private static readonly int[] TwoToTwelve = [.. Enumerable.Range(2, 11)];

    private static readonly (string Fragment, ModelSpec Spec)[] Families =
    [
        ("seedance-2-0-fast", new ModelSpec(TwoToTwelve, [480, 720], Ratios)),
        ("seedance-1-5-pro", new ModelSpec([.. Enumerable.Range(4, 9)], [480, 720, 1080], Ratios)),
    ];

    private static readonly ModelSpec Default = new(TwoToTwelve, [480, 720, 1080], Ratios);

    public static ModelSpec For(string model, VendorOptions options)
        => options.Models.TryGetValue(model, out var own)
            ? own
            : Families.FirstOrDefault(f => model.Contains(f.Fragment, StringComparison.OrdinalIgnoreCase)).Spec ?? Default;
}
