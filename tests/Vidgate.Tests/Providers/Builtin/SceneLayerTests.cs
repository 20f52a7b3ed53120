using SkiaSharp;
using Vidgate.Server.Providers.Builtin;

namespace Vidgate.Tests.Providers.Builtin;

/// <summary>
/// A frame draws only the parts of a layer that hold anything, merged into few rectangles, and an opaque layer as an
/// opaque image: what the viewer sees must be exactly what drawing the whole layer would give.
/// </summary>
public sealed class SceneLayerTests
{
    private const int W = 240;
    private const int H = 136;

    [Fact]
    public void A_full_opaque_layer_is_one_rectangle_and_an_opaque_image()
    {
        using var layer = Layer(c => c.Clear(SKColors.SteelBlue));

        var tiles = layer.Value.Tiles;

        Assert.Equal([new SKRect(0, 0, W, H)], tiles);
        Assert.Equal(SKAlphaType.Opaque, layer.Value.Image.AlphaType);
    }

    [Fact]
    public void A_layer_with_one_transparent_pixel_keeps_its_alpha()
    {
        using var layer = Layer(c =>
        {
            c.Clear(SKColors.SteelBlue);
            using var hole = new SKPaint { Color = SKColors.Transparent, BlendMode = SKBlendMode.Src };
            c.DrawRect(100, 60, 1, 1, hole);
        });

        Assert.NotEqual(SKAlphaType.Opaque, layer.Value.Image.AlphaType);
        Assert.Single(layer.Value.Tiles);
    }

    [Fact]
    public void An_empty_layer_draws_nothing()
    {
        using var layer = Layer(_ => { });

        Assert.Empty(layer.Value.Tiles);
    }

    [Fact]
    public void A_foreground_in_the_lower_half_is_one_rectangle_over_exactly_the_cells_it_touches()
    {
        using var layer = Layer(c =>
        {
            using var ground = new SKPaint { Color = SKColors.DarkOliveGreen };
            c.DrawRect(0, H * 0.6f, W, H, ground);
        });

        // Rows 4..7 of the 8×8 grid hold ground (0.6 × 136 = 81.6 falls in row 4: 68..85).
        Assert.Equal([new SKRect(0, 4 * H / 8, W, H)], layer.Value.Tiles);
    }

    [Fact]
    public void Scattered_shapes_are_covered_without_overlap_and_without_empty_cells()
    {
        using var layer = Layer(c =>
        {
            using var paint = new SKPaint { Color = SKColors.OrangeRed, IsAntialias = true };
            c.DrawCircle(20, 20, 8, paint);
            c.DrawCircle(200, 30, 12, paint);
            c.DrawRect(90, 70, 60, 50, paint);
            c.DrawRect(0, 120, 40, 16, paint);
        });
        var tiles = layer.Value.Tiles;

        Assert.InRange(tiles.Count, 1, 12);
        for (var i = 0; i < tiles.Count; i++)
        {
            for (var j = i + 1; j < tiles.Count; j++)
            {
                Assert.False(SKRect.Intersect(tiles[i], tiles[j]) is { IsEmpty: false }, $"{tiles[i]} overlaps {tiles[j]}");
            }
        }
        // Every cell of the grid that a rectangle covers holds at least one visible pixel.
        using var pixmap = layer.Value.Image.PeekPixels();
        foreach (var tile in tiles)
        {
            for (var y = tile.Top; y < tile.Bottom; y += H / 8f)
            {
                for (var x = tile.Left; x < tile.Right; x += W / 8f)
                {
                    Assert.True(AnyVisible(pixmap, SKRectI.Create((int)x, (int)y, W / 8, H / 8)), $"cell at {x},{y} of {tile} is empty");
                }
            }
        }
    }

    [Theory]
    [InlineData(1f, 0f, 0f, false)]
    [InlineData(1f, 7f, -3f, false)]
    [InlineData(1.17f, -12f, -8f, true)]
    [InlineData(1.33f, -30f, -20f, false)]
    public void Drawing_the_tiles_gives_the_same_frame_as_drawing_the_whole_layer(float zoom, float dx, float dy, bool smooth)
    {
        using var layer = Layer(c =>
        {
            using var sky = new SKPaint { Color = SKColors.LightSkyBlue.WithAlpha(200) };
            c.DrawRect(0, 0, W, H * 0.3f, sky);
            using var paint = new SKPaint { Color = SKColors.SaddleBrown, IsAntialias = true };
            c.DrawCircle(60, 90, 25, paint);
            c.DrawRect(130, 80, 90, 56, paint);
        });
        var matrix = SKMatrix.CreateScale(zoom, zoom, W / 2f, H / 2f).PostConcat(SKMatrix.CreateTranslation(dx, dy));
        var sampling = new SKSamplingOptions(smooth ? SKFilterMode.Linear : SKFilterMode.Nearest);

        var whole = Frame(c =>
        {
            c.SetMatrix(matrix);
            c.DrawImage(layer.Value.Image, 0, 0, sampling, null);
        });
        var tiled = Frame(c =>
        {
            c.SetMatrix(matrix);
            foreach (var tile in layer.Value.Tiles)
            {
                c.DrawImage(layer.Value.Image, tile, tile, sampling, null);
            }
        });

        var differing = whole.Zip(tiled).Count(p => Math.Abs(p.First - p.Second) > 2);
        // Resampling at a rectangle's edge may differ from the whole image's by a rounding step on a few pixels; a
        // missing or doubled part of the layer would differ on hundreds.
        Assert.True(differing <= W / 4, $"{differing} bytes differ");
    }

    private static Owned Layer(Action<SKCanvas> paint)
    {
        using var surface = SKSurface.Create(new SKImageInfo(W, H, SKColorType.Bgra8888, SKAlphaType.Premul))!;
        surface.Canvas.Clear(SKColors.Transparent);
        paint(surface.Canvas);
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

    private static bool AnyVisible(SKPixmap pixmap, SKRectI cell)
    {
        for (var y = cell.Top; y < Math.Min(cell.Bottom, pixmap.Height); y++)
        {
            for (var x = cell.Left; x < Math.Min(cell.Right, pixmap.Width); x++)
            {
                if (pixmap.GetPixelColor(x, y).Alpha != 0)
                {
                    return true;
                }
            }
        }
        return false;
    }

    private sealed class Owned(SceneLayer value) : IDisposable
    {
        public SceneLayer Value { get; } = value;

        public void Dispose() => Value.Image.Dispose();
    }
}
