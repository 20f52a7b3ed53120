using SkiaSharp;
using Vidgate.Server.Providers.Builtin;

namespace Vidgate.Tests.Providers.Builtin;

/// <summary>
/// A travelling layer under a zooming camera is drawn from a pre-scaled copy with nearest sampling instead of being
/// resampled bilinearly every frame: the viewer must see the same picture, shapes in the same places with the same
/// colours, give or take one drawn pixel at their edges.
/// </summary>
public sealed class SceneZoomLevelsTests
{
    private const int W = 240;
    private const int H = 136;

    [Theory]
    [InlineData(1.01f, 0f, 0f)]
    [InlineData(1.05f, -6f, -4f)]
    [InlineData(1.17f, -12f, -8f)]
    [InlineData(1.275f, -30f, -20f)]
    [InlineData(1.6f, -60f, -40f)]
    public void A_zoom_drawn_from_a_copy_looks_like_the_layer_resampled_bilinearly(float zoom, float dx, float dy)
    {
        using var layer = Layer();
        using var levels = new SceneZoomLevels(layer.Value, 1.6f);
        var matrix = SKMatrix.CreateScale(zoom, zoom, W / 2f, H * 0.55f).PostConcat(SKMatrix.CreateTranslation(dx, dy));

        var bilinear = Frame(c =>
        {
            c.SetMatrix(matrix);
            c.DrawImage(layer.Value.Image, 0, 0, new SKSamplingOptions(SKFilterMode.Linear), null);
        });
        var copied = Frame(c => levels.Draw(c, matrix, new SKPaint()));

        // Flat areas match exactly; an edge may sit one pixel off, which moves a few hundred bytes of the 130,560.
        var far = bilinear.Zip(copied).Count(p => Math.Abs(p.First - p.Second) > 48);
        var mean = bilinear.Zip(copied).Average(p => Math.Abs(p.First - p.Second));
        Assert.True(far < bilinear.Length / 50, $"{far} bytes differ by more than 48");
        Assert.True(mean < 2.5, $"mean difference {mean:0.00}");
        // And the layer is there at all: the frame is not the black it was cleared to.
        Assert.True(copied.Count(b => b > 40) > bilinear.Length / 3);
    }

    [Fact]
    public void A_zoom_past_the_largest_copy_still_covers_the_frame_with_the_layer()
    {
        using var layer = Layer();
        using var levels = new SceneZoomLevels(layer.Value, 1.1f);
        var matrix = SKMatrix.CreateScale(1.4f, 1.4f, W / 2f, H / 2f);

        var bilinear = Frame(c =>
        {
            c.SetMatrix(matrix);
            c.DrawImage(layer.Value.Image, 0, 0, new SKSamplingOptions(SKFilterMode.Linear), null);
        });
        var copied = Frame(c => levels.Draw(c, matrix, new SKPaint()));

        var mean = bilinear.Zip(copied).Average(p => Math.Abs(p.First - p.Second));
        Assert.True(mean < 4, $"mean difference {mean:0.00}");
    }

    [Fact]
    public void An_empty_layer_draws_nothing()
    {
        using var surface = SKSurface.Create(new SKImageInfo(W, H, SKColorType.Bgra8888, SKAlphaType.Premul))!;
        surface.Canvas.Clear(SKColors.Transparent);
        var layer = SceneLayer.Of(surface.Snapshot(), 1f);
        using var levels = new SceneZoomLevels(layer, 1.3f);

        var frame = Frame(c => levels.Draw(c, SKMatrix.CreateScale(1.2f, 1.2f), new SKPaint()));

        Assert.True(levels.IsEmpty);
        Assert.All(frame.Chunk(4), px => Assert.Equal([0, 0, 0, 255], px));
        layer.Image.Dispose();
    }

    // A foreground: transparent sky above, a ground band, a house, a tree, a thin pole (edges in every direction).
    private static Owned Layer()
    {
        using var surface = SKSurface.Create(new SKImageInfo(W, H, SKColorType.Bgra8888, SKAlphaType.Premul))!;
        var c = surface.Canvas;
        c.Clear(SKColors.Transparent);
        using var paint = new SKPaint { IsAntialias = true };
        paint.Color = SKColors.DarkOliveGreen;
        c.DrawRect(0, H * 0.6f, W, H * 0.4f, paint);
        paint.Color = SKColors.SaddleBrown;
        c.DrawRect(130, 50, 60, 40, paint);
        paint.Color = SKColors.ForestGreen;
        c.DrawCircle(60, 60, 24, paint);
        paint.Color = SKColors.LightGray;
        c.DrawRect(100, 30, 3, 60, paint);
        return new Owned(SceneLayer.Of(surface.Snapshot(), 1f));
    }

    private static byte[] Frame(Action<SKCanvas> draw)
    {
        using var surface = SKSurface.Create(new SKImageInfo(W, H, SKColorType.Bgra8888, SKAlphaType.Premul))!;
        surface.Canvas.Clear(SKColors.Black);
        draw(surface.Canvas);
        using var pixmap = surface.PeekPixels();
        return pixmap.GetPixelSpan().ToArray();
    }

    private sealed class Owned(SceneLayer value) : IDisposable
    {
        public SceneLayer Value { get; } = value;

        public void Dispose() => Value.Image.Dispose();
    }
}
