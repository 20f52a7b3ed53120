using SkiaSharp;

namespace Vidgate.Server.Providers.Builtin;

/// <summary>
/// Copies of a travelling layer pre-scaled to a ladder of zooms, made on first use: a frame whose camera zooms the
/// layer by <c>s</c> draws the copy nearest to <c>s</c> with nearest sampling, a resample within <see cref="Step"/>
/// of 1:1, instead of resampling the layer bilinearly every frame (measured: bilinear sampling of the two travelling
/// layers was the largest single cost of drawing a push-in; nearest is about a fifth of it). Each copy is made once
/// with bilinear sampling, so shapes keep their smooth edges; what nearest gives up is the sub-pixel phase of the
/// motion, a step of at most one drawn pixel. Only the part of the layer that holds anything (its tiles' bounds) is
/// copied. Safe to use from the drawing threads at once.
/// </summary>
internal sealed class SceneZoomLevels : IDisposable
{
    /// <summary>Neighbouring copies differ by this factor, so a frame's leftover resample is within half of it of 1:1.</summary>
    public const float Step = 1.03f;

    private static readonly float LogStep = MathF.Log(Step);

    private readonly SceneLayer _layer;
    private readonly SKRect _bounds;
    private readonly Lazy<SKImage>[] _levels;

    /// <param name="maxZoom">The largest zoom the camera gives this layer; copies go from 1 up to it.</param>
    public SceneZoomLevels(SceneLayer layer, float maxZoom)
    {
        _layer = layer;
        _bounds = layer.Tiles.Aggregate(SKRect.Empty, (all, tile) => all.IsEmpty ? tile : SKRect.Union(all, tile));
        var count = Index(Math.Max(1, maxZoom)) + 1;
        _levels = [.. Enumerable.Range(0, count).Select(i => new Lazy<SKImage>(() => Make(Zoom(i))))];
    }

    /// <summary>Whether the layer holds anything to draw.</summary>
    public bool IsEmpty => _bounds.IsEmpty;

    /// <summary>
    /// Draws the layer under <paramref name="matrix"/> (layer → frame), which must be a uniform scale of at least 1 and
    /// a translation, from the nearest copy.
    /// </summary>
    public void Draw(SKCanvas c, SKMatrix matrix, SKPaint paint)
    {
        if (IsEmpty)
        {
            return;
        }
        var index = Math.Min(Index(matrix.ScaleX), _levels.Length - 1);
        var zoom = Zoom(index);
        var image = _levels[index].Value;
        // Copy pixel p shows layer point bounds.TopLeft + p / zoom.
        c.SetMatrix(matrix.PreConcat(SKMatrix.CreateTranslation(_bounds.Left, _bounds.Top)).PreConcat(SKMatrix.CreateScale(1 / zoom, 1 / zoom)));
        var sampling = new SKSamplingOptions(SKFilterMode.Nearest);
        foreach (var tile in _layer.Tiles)
        {
            var rect = new SKRect(
                (tile.Left - _bounds.Left) * zoom, (tile.Top - _bounds.Top) * zoom,
                (tile.Right - _bounds.Left) * zoom, (tile.Bottom - _bounds.Top) * zoom);
            c.DrawImage(image, rect, rect, sampling, paint);
        }
    }

    private static int Index(float zoom) => Math.Max(0, (int)MathF.Round(MathF.Log(zoom) / LogStep));

    private static float Zoom(int index) => MathF.Pow(Step, index);

    private SKImage Make(float zoom)
    {
        var info = new SKImageInfo(
            (int)MathF.Ceiling(_bounds.Width * zoom), (int)MathF.Ceiling(_bounds.Height * zoom),
            SKColorType.Bgra8888, _layer.Image.AlphaType == SKAlphaType.Opaque ? SKAlphaType.Opaque : SKAlphaType.Premul);
        using var surface = SKSurface.Create(info) ?? throw new RenderFailedException("could not scale a layer");
        var c = surface.Canvas;
        c.Clear(SKColors.Transparent);
        c.Scale(zoom);
        c.Translate(-_bounds.Left, -_bounds.Top);
        c.DrawImage(_layer.Image, 0, 0, new SKSamplingOptions(SKFilterMode.Linear), null);
        return surface.Snapshot();
    }

    public void Dispose()
    {
        foreach (var level in _levels.Where(l => l.IsValueCreated))
        {
            level.Value.Dispose();
        }
    }
}
