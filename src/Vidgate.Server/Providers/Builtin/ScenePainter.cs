using System.Runtime.ExceptionServices;
using SkiaSharp;

namespace Vidgate.Server.Providers.Builtin;

/// <summary>
/// Draws a <see cref="Scene"/> once as layers (sky, far, middle, near) of clean vector shapes; the camera then only moves
/// them (<see cref="SceneFrames"/>). Everything is placed by a <see cref="SceneRandom"/> from the scene's seed, so the
/// same prompt draws the same picture. Ground objects are placed in a simple perspective: a point at height h (camera
/// height = 1) and depth z (1 = the bottom of the layer) is drawn at y = horizon + (1 - h) · depthScale / z.
/// </summary>
internal static partial class ScenePainter
{
    // How strongly the camera moves each layer: the sky hardly, the near layer fully.
    private const float SkyParallax = 0.04f;
    private const float FarParallax = 0.2f;
    private const float MidParallax = 0.55f;
    private const float NearParallax = 1f;
    private const float RaysParallax = 0.7f;

    // Objects nearer than this depth go on the near layer, the rest on the middle one.
    private const float NearDepth = 2.6f;

    public static SceneLayers Paint(Scene scene, SceneGeometry g)
    {
        var light = SceneLight.For(scene.Time, scene.Style, scene.Has(SceneElements.Rain));
        var view = new View(scene, light, g, Sun(scene, light, g));
        SceneLayer? sky = null, far = null, mid = null, near = null, rays = null;
        SKImage? overlay = null;
        // The layers are independent and nothing is drawn (or piped to ffmpeg) before all of them exist: painting them
        // on every core shortens the wait before a render's first frame.
        try
        {
            Parallel.Invoke(
                () => sky = SceneLayer.Of(Draw(g, c => Sky(c, view, new SceneRandom(scene.Seed))), SkyParallax),
                () => far = SceneLayer.Of(Draw(g, c => Far(c, view, new SceneRandom(scene.Seed ^ 0xA5A5A5A5))), FarParallax),
                () => mid = SceneLayer.Of(Draw(g, c => Ground(c, view, new SceneRandom(scene.Seed ^ 0x3C3C3C3C), near: false)), MidParallax),
                () => near = SceneLayer.Of(Draw(g, c => Ground(c, view, new SceneRandom(scene.Seed ^ 0x3C3C3C3C), near: true)), NearParallax),
                () => rays = scene.Has(SceneElements.SunRays) && !light.Night ? SceneLayer.Of(Draw(g, c => Rays(c, view)), RaysParallax) : null,
                () => overlay = scene.Is(SceneStyle.Vintage) ? Vignette(g) : null);
        }
        catch (AggregateException e)
        {
            foreach (var done in (SceneLayer?[])[sky, far, mid, near, rays])
            {
                done?.Image.Dispose();
            }
            overlay?.Dispose();
            ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
            throw;
        }
        return new SceneLayers([sky!, far!, mid!, near!], rays, overlay);
    }

    /// <summary>What every painting step needs to know.</summary>
    private sealed record View(Scene Scene, SceneLight Light, SceneGeometry G, SKPoint Sun)
    {
        public float W => G.LayerWidth;

        public float H => G.LayerHeight;

        public float Horizon => G.HorizonY;

        public float U => G.Unit;

        /// <summary>Distance in pixels from the horizon to the layer's bottom edge: the scale of depth 1.</summary>
        public float DepthScale => H - Horizon;

        public SKPoint Project(float x, float height, float depth) =>
            new(G.VanishX + (x * DepthScale / depth), Horizon + ((1 - height) * DepthScale / depth));

        public bool Snowy => Scene.Setting == Setting.Snowfield || Scene.Has(SceneElements.Snow);
    }

    private static SKPoint Sun(Scene scene, SceneLight light, SceneGeometry g)
    {
        var r = new SceneRandom(scene.Seed ^ 0x5EED);
        var x = g.OffsetX + (g.Width * r.Range(0.28f, 0.72f));
        var top = g.OffsetY + (g.Height * 0.1f);
        return new SKPoint(x, g.HorizonY - (light.SunHeight * (g.HorizonY - top)));
    }

    private static SKImage Draw(SceneGeometry g, Action<SKCanvas> paint)
    {
        using var surface = SKSurface.Create(new SKImageInfo(g.LayerWidth, g.LayerHeight, SKColorType.Bgra8888, SKAlphaType.Premul))
            ?? throw new RenderFailedException($"could not allocate a {g.LayerWidth}x{g.LayerHeight} layer");
        surface.Canvas.Clear(SKColors.Transparent);
        paint(surface.Canvas);
        return surface.Snapshot();
    }

    private static SKPaint Fill(SKColor colour) => new() { Color = colour, IsAntialias = true, Style = SKPaintStyle.Fill };

    private static SKPaint Stroke(SKColor colour, float width) =>
        new() { Color = colour, IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = width, StrokeCap = SKStrokeCap.Round };

    private static SKColor Alpha(SKColor c, float alpha) => c.WithAlpha((byte)Math.Clamp(alpha * 255, 0, 255));

    private static SKPath Polygon(params SKPoint[] points)
    {
        using var builder = new SKPathBuilder();
        builder.AddPoly(points, close: true);
        return builder.Detach();
    }

    /// <summary>Draws what a path builder holds (SkiaSharp 4 builds paths with <see cref="SKPathBuilder"/>).</summary>
    internal static void DrawPath(this SKCanvas canvas, SKPathBuilder builder, SKPaint paint)
    {
        using var path = builder.Snapshot();
        canvas.DrawPath(path, paint);
    }

    private static SKImage Vignette(SceneGeometry g)
    {
        using var surface = SKSurface.Create(new SKImageInfo(g.Width, g.Height, SKColorType.Bgra8888, SKAlphaType.Premul))
            ?? throw new RenderFailedException("could not allocate the vignette");
        var radius = MathF.Sqrt((g.Width * g.Width) + (g.Height * g.Height)) / 2;
        using var paint = new SKPaint
        {
            Shader = SKShader.CreateRadialGradient(new SKPoint(g.Width / 2f, g.Height / 2f), radius,
                [SKColors.Transparent, new SKColor(0x20, 0x12, 0x04, 0x30), new SKColor(0x18, 0x0C, 0x02, 0xB0)], [0, 0.6f, 1f],
                SKShaderTileMode.Clamp),
        };
        surface.Canvas.Clear(SKColors.Transparent);
        surface.Canvas.DrawRect(0, 0, g.Width, g.Height, paint);
        return surface.Snapshot();
    }
}
