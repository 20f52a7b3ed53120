using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Replicate;

/// <summary>
/// One family of Replicate video models: what it accepts and the shape of its <c>input</c>: whether it takes
/// <c>duration</c> (an integer), <c>resolution</c> (<c>"720p"</c>) and <c>aspect_ratio</c>, and the name of its first-frame field.
/// </summary>
internal sealed record ReplicateFamily(ModelSpec Spec, bool Duration, bool Resolution, bool Ratio, string ImageField, bool Known = true);

/// <summary>
/// The common Replicate video models' inputs (each model's API page on replicate.com), matched by <c>owner/name</c>
/// prefix, longest first. A model no row matches gets <c>prompt</c> (and <c>image</c>) only, and the task reports what
/// was asked; <c>options.models</c> gives such a model a table in the common shape (<c>duration</c>, <c>resolution</c>,
/// <c>aspect_ratio</c>, <c>image</c>).
/// </summary>
internal static class ReplicateModels
{
    private static readonly string[] Two = ["16:9", "9:16"];
    private static readonly string[] Three = ["16:9", "9:16", "1:1"];
    private static readonly string[] Many = ["16:9", "9:16", "1:1", "4:3", "3:4", "21:9"];

    private static readonly (string Prefix, ReplicateFamily Family)[] Families =
    [
        ("google/veo-3", new ReplicateFamily(new ModelSpec([4, 6, 8], [720, 1080], Two), true, true, true, "image")),
        ("google/veo-2", new ReplicateFamily(new ModelSpec([5, 6, 7, 8], [720], Two), true, false, true, "image")),

        // Kling: 5 or 10 s; "standard" mode (the default) is 720p, "pro" 1080p through options.parameters.mode.
        ("kwaivgi/kling", new ReplicateFamily(new ModelSpec([5, 10], [720], Three), true, false, true, "start_image")),
        ("minimax/hailuo-02", new ReplicateFamily(new ModelSpec([6, 10], [768], Three), true, false, false, "first_frame_image")),
        ("bytedance/seedance-1", new ReplicateFamily(new ModelSpec([5, 10], [480, 720, 1080], Many), true, true, true, "image")),
        ("wan-video/wan-2.5", new ReplicateFamily(new ModelSpec([5, 10], [480, 720, 1080], Three), true, true, false, "image")),
        ("luma/ray-2-540p", new ReplicateFamily(new ModelSpec([5, 9], [540], Many), true, false, true, "start_image_url")),
        ("luma/ray", new ReplicateFamily(new ModelSpec([5, 9], [720], Many), true, false, true, "start_image_url")),
    ];

    public static ReplicateFamily For(string model, VendorOptions options)
    {
        var name = model.Split(':')[0];
        if (options.Models.TryGetValue(model, out var own) || options.Models.TryGetValue(name, out own))
        {
            return new ReplicateFamily(own, true, true, true, "image");
        }

        return Families.FirstOrDefault(f => name.StartsWith(f.Prefix, StringComparison.OrdinalIgnoreCase)).Family
               ?? new ReplicateFamily(new ModelSpec([], [], []), false, false, false, "image", Known: false);
    }
}
