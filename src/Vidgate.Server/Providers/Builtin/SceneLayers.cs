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

/// <summary>A pre-drawn layer, how strongly the camera moves it, and the parts of it that hold anything.</summary>
/// <param name="Tiles">
/// Rectangles covering the non-empty cells of a grid over the layer, merged into as few as possible. A frame draws only
/// these: resampling a transparent sky half of a foreground layer every frame was most of the drawing time, and each
/// draw has a fixed cost (measured: 64 cells of a full layer cost 1.2–1.9× one draw of the whole, by sampling mode).
/// </param>
internal sealed record SceneLayer(SKImage Image, float Parallax, IReadOnlyList<SKRect> Tiles)
{
    private const int Grid = 8;

    /// <summary>
    /// Takes ownership of <paramref name="image"/>. A layer without a single transparent pixel (the sky) comes back as an
    /// opaque image: Skia then copies it into the frame instead of blending it (half the cost of a nearest-sampled draw).
    /// </summary>
    public static SceneLayer Of(SKImage image, float parallax)
    {
        using var pixmap = image.PeekPixels() ?? throw new RenderFailedException("a layer is not in memory");
        var bytes = pixmap.GetPixelSpan();
        var (w, h, stride) = (image.Width, image.Height, pixmap.RowBytes);
        var filled = new bool[Grid, Grid];
        var opaque = true;
        for (var ty = 0; ty < Grid; ty++)
        {
            var (y0, y1) = (ty * h / Grid, (ty + 1) * h / Grid);
            for (var tx = 0; tx < Grid; tx++)
            {
                var (x0, x1) = (tx * w / Grid, (tx + 1) * w / Grid);
                filled[ty, tx] = AnyAlpha(bytes, stride, x0, x1, y0, y1);
                opaque = opaque && filled[ty, tx] && AllOpaque(bytes, stride, x0, x1, y0, y1);
            }
        }

        var tiles = Merge(filled, w, h);
        if (opaque && image.AlphaType != SKAlphaType.Opaque)
        {
            var copy = SKImage.FromPixelCopy(pixmap.Info.WithAlphaType(SKAlphaType.Opaque), pixmap.GetPixels(), stride)
                ?? throw new RenderFailedException("could not copy a layer");
            image.Dispose();
            image = copy;
        }
        return new SceneLayer(image, parallax, tiles);
    }

    // Runs of filled cells in a row become one rectangle, and a run repeated in the rows below grows down: a full layer
    // is one draw, a foreground layer's lower half one or two.
    private static List<SKRect> Merge(bool[,] filled, int w, int h)
    {
        var open = new List<(int X0, int X1, int Y0)>();
        var tiles = new List<SKRect>();
        for (var ty = 0; ty <= Grid; ty++)
        {
            var runs = new List<(int X0, int X1)>();
            for (var tx = 0; ty < Grid && tx < Grid; tx++)
            {
                if (!filled[ty, tx])
                {
                    continue;
                }
                var start = tx;
                while (tx + 1 < Grid && filled[ty, tx + 1])
                {
                    tx++;
                }
                runs.Add((start, tx + 1));
            }

            var next = new List<(int X0, int X1, int Y0)>();
            foreach (var run in open)
            {
                if (runs.Remove((run.X0, run.X1)))
                {
                    next.Add(run);
                }
                else
                {
                    tiles.Add(new SKRect(run.X0 * w / Grid, run.Y0 * h / Grid, run.X1 * w / Grid, ty * h / Grid));
                }
            }
            next.AddRange(runs.Select(r => (r.X0, r.X1, ty)));
            open = next;
        }
        return tiles;
    }

    // BGRA (premultiplied): a pixel is empty when its alpha byte is 0.
    private static bool AnyAlpha(ReadOnlySpan<byte> bytes, int stride, int x0, int x1, int y0, int y1)
    {
        for (var y = y0; y < y1; y++)
        {
            var row = bytes.Slice((y * stride) + (x0 * 4), (x1 - x0) * 4);
            for (var i = 3; i < row.Length; i += 4)
            {
                if (row[i] != 0)
                {
                    return true;
                }
            }
        }
        return false;
    }

    private static bool AllOpaque(ReadOnlySpan<byte> bytes, int stride, int x0, int x1, int y0, int y1)
    {
        for (var y = y0; y < y1; y++)
        {
            var row = bytes.Slice((y * stride) + (x0 * 4), (x1 - x0) * 4);
            for (var i = 3; i < row.Length; i += 4)
            {
                if (row[i] != 255)
                {
                    return false;
                }
            }
        }
        return true;
    }
}

/// <summary>The pre-drawn layers of a scene, far to near.</summary>
internal sealed class SceneLayers(IReadOnlyList<SceneLayer> layers, SceneLayer? rays, SKImage? overlay) : IDisposable
{
    public IReadOnlyList<SceneLayer> Layers { get; } = layers;

    /// <summary>Light shafts, blended over the layers with a slowly breathing strength.</summary>
    public SceneLayer? Rays { get; } = rays;

    /// <summary>Frame-sized, fixed to the lens (the vintage vignette).</summary>
    public SKImage? Overlay { get; } = overlay;

    public void Dispose()
    {
        foreach (var layer in Layers)
        {
            layer.Image.Dispose();
        }
        Rays?.Image.Dispose();
        Overlay?.Dispose();
    }
}
