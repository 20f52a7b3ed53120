using SkiaSharp;

namespace Vidgate.Server.Providers.Builtin;

/// <summary>
/// Sizes of a render. Layers are drawn once, larger than the frame by <see cref="Margin"/> on every side, so the camera
/// can pan, tilt and zoom over them without showing an edge. Coordinates in the painter are layer coordinates.
/// </summary>
internal sealed record SceneGeometry(int Width, int Height)
{
    public const float Margin = 0.25f;

    public int LayerWidth => (int)MathF.Ceiling(Width * (1 + (2 * Margin)));

    public int LayerHeight => (int)MathF.Ceiling(Height * (1 + (2 * Margin)));

    public float OffsetX => Width * Margin;

    public float OffsetY => Height * Margin;

    /// <summary>The horizon sits a little below the middle of the frame: more sky than ground reads as "a view".</summary>
    public float HorizonY => OffsetY + (Height * 0.55f);

    public float VanishX => LayerWidth / 2f;

    /// <summary>Sizes of strokes and small things scale with the short side (720 = 1).</summary>
    public float Unit => Math.Min(Width, Height) / 720f;
}

/// <summary>The pre-drawn layers of a scene, far to near, and how strongly the camera moves each (parallax).</summary>
internal sealed class SceneLayers(IReadOnlyList<(SKImage Image, float Parallax)> layers, SKImage? rays, SKImage? overlay) : IDisposable
{
    public IReadOnlyList<(SKImage Image, float Parallax)> Layers { get; } = layers;

    /// <summary>Light shafts, added on top of the layers (screen blend) with a slowly breathing strength.</summary>
    public SKImage? Rays { get; } = rays;

    /// <summary>Frame-sized, fixed to the lens (the vintage vignette).</summary>
    public SKImage? Overlay { get; } = overlay;

    public void Dispose()
    {
        foreach (var (image, _) in Layers)
        {
            image.Dispose();
        }
        Rays?.Dispose();
        Overlay?.Dispose();
    }
}
