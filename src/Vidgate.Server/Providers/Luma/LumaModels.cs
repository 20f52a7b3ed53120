using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Luma;

/// <summary>
/// What each Dream Machine model accepts (vendors.md part A §4.2; the per-model matrix is UNCONFIRMED there, see
/// docs/providers/luma.md for the choice): Ray 2 and Ray Flash 2 make 5 or 9 s at 540p–4k, Ray 1.6 takes neither
/// <c>duration</c> nor <c>resolution</c> (5 s, 720p). Matched by name prefix; <c>options.models</c> overrides it.
/// </summary>
internal static class LumaModels
{
    private static readonly string[] Ratios = ["16:9", "9:16", "1:1", "4:3", "3:4", "21:9", "9:21"];

    private static readonly (string Prefix, ModelSpec Spec)[] Families =
    [
        ("ray-flash-2", new ModelSpec([5, 9], [540, 720, 1080, 2160], Ratios)),
        ("ray-2", new ModelSpec([5, 9], [540, 720, 1080, 2160], Ratios)),
        ("ray-1-6", new ModelSpec([5], [720], Ratios)),
    ];

    public static ModelSpec For(string model, VendorOptions options)
        => options.Models.TryGetValue(model, out var own) ? own : Families.FirstOrDefault(f => model.StartsWith(f.Prefix, StringComparison.OrdinalIgnoreCase)).Spec ?? Families[1].Spec;

    /// <summary>Ray 1.6 predates <c>duration</c> and <c>resolution</c>: they are not sent to it.</summary>
    public static bool TakesLengthAndResolution(string model) => !model.StartsWith("ray-1-6", StringComparison.OrdinalIgnoreCase);
}
