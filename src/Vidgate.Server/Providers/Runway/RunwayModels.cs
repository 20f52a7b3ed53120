using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Runway;

/// <summary>
/// One Runway model as the SDK's create types describe it (vendors.md part A §3.2): the lengths it makes, its output
/// sizes (Runway's <c>ratio</c> is a pixel size such as <c>1280:720</c>) for text-to-video (none: image only) and for
/// image-to-video, and whether it takes a last frame.
/// </summary>
internal sealed record RunwayModel(string Prefix, int[] Seconds, string[] TextSizes, string[] ImageSizes, bool LastFrame);

/// <summary>The per-model table, matched by name prefix (first match wins); <c>options.models</c> overrides lengths and sizes.</summary>
internal static class RunwayModels
{
    private static readonly string[] Gen4Sizes = ["1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672"];
    private static readonly string[] VeoSizes = ["1280:720", "720:1280", "1920:1080", "1080:1920"];
    private static readonly int[] TwoToTen = [.. Enumerable.Range(2, 9)];

    private static readonly RunwayModel[] Models =
    [
        new("gen4.5", TwoToTen, ["1280:720", "720:1280"], Gen4Sizes, false),
        new("gen4_turbo", TwoToTen, [], Gen4Sizes, false),
        new("gen3a_turbo", [5, 10], [], ["1280:768", "768:1280"], true),
        new("veo3.1", [4, 6, 8], VeoSizes, VeoSizes, true),
        new("veo3", [8], VeoSizes, VeoSizes, false),
    ];

    /// <summary>gen4.5's row for a name no prefix matches: Runway's current general model.</summary>
    public static RunwayModel For(string model)
        => Models.FirstOrDefault(m => model.StartsWith(m.Prefix, StringComparison.OrdinalIgnoreCase)) ?? Models[0];

    /// <summary>
    /// The spec <see cref="ModelFit"/> snaps to: the sizes as ratios, their short sides as resolutions. An operator's
    /// <c>options.models</c> entry replaces lengths and ratios (as <c>w:h</c> pixel sizes, e.g. <c>"1280:720"</c>).
    /// </summary>
    public static ModelSpec Spec(RunwayModel model, string name, bool image, VendorOptions options)
    {
        if (options.Models.TryGetValue(name, out var own))
        {
            return own;
        }

        var sizes = image ? model.ImageSizes : model.TextSizes;
        return new ModelSpec(model.Seconds, [.. sizes.Select(ShortSide).Distinct().Order()], sizes);
    }

    /// <summary>The size to send: of the spec's sizes with the fitted ratio's shape, the one whose short side is nearest the fitted one.</summary>
    public static string Size(ModelSpec spec, Fitted fit)
        => spec.Ratios.Where(r => Math.Abs(Math.Log(ModelFit.RatioValue(r) / ModelFit.RatioValue(fit.Ratio))) < 0.02)
            .OrderBy(r => Math.Abs(ShortSide(r) - fit.Resolution)).ThenBy(ShortSide).First();

    public static int ShortSide(string size)
        => size.Split(':') is [var w, var h] && int.TryParse(w, out var a) && int.TryParse(h, out var b) ? Math.Min(a, b) : 720;
}
