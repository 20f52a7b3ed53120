using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Vertex;

/// <summary>
/// What each Veo family accepts on Vertex AI (vendors.md §2.1 and §2.3; the Vertex model pages), matched by the model
/// name's prefix; <c>options.models</c> overrides it. 4k on Vertex is unconfirmed, so it is not offered.
/// </summary>
internal static class VertexModels
{
    private static readonly string[] Ratios = ["16:9", "9:16"];

    private static readonly (string Prefix, ModelSpec Spec)[] Families =
    [
        ("veo-2", new ModelSpec([5, 6, 7, 8], [720], Ratios)),
        ("veo-3.0-fast", new ModelSpec([8], [720, 1080], Ratios)),
        ("veo-3", new ModelSpec([4, 6, 8], [720, 1080], Ratios)),
    ];

    public static ModelSpec For(string model, VendorOptions options)
        => options.Models.TryGetValue(model, out var own) ? own : Families.FirstOrDefault(f => model.StartsWith(f.Prefix, StringComparison.OrdinalIgnoreCase)).Spec ?? Families[2].Spec;

    /// <summary>Veo 2 takes no <c>resolution</c> parameter (720p only).</summary>
    public static bool TakesResolution(string model) => !model.StartsWith("veo-2", StringComparison.OrdinalIgnoreCase);

    /// <summary>Reference images are Veo 3.1's only ("up to three asset images").</summary>
    public static bool TakesReferenceImages(string model) => model.StartsWith("veo-3.1", StringComparison.OrdinalIgnoreCase);
}
