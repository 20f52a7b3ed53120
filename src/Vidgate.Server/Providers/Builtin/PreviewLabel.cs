using SkiaSharp;

namespace Vidgate.Server.Providers.Builtin;

/// <summary>
/// The small "preview" tag in the bottom-right corner, drawn as strokes: no font file, no fontconfig, the same pixels on
/// every machine.
/// </summary>
internal static class PreviewLabel
{
    public const string Text = "preview";

    // Lower-case glyphs on a grid: x-height from y=2 to the baseline y=6, descender to 8; (width, polylines).
    private static readonly Dictionary<char, (float Width, float[][] Lines)> Glyphs = new()
    {
        ['p'] = (3, [[0, 8, 0, 2], [0, 2.6f, 1, 2, 2.2f, 2, 3, 3, 3, 5, 2.2f, 6, 1, 6, 0, 5.4f]]),
        ['r'] = (2.4f, [[0, 6, 0, 2], [0, 3.4f, 1, 2.2f, 2.4f, 2]]),
        ['e'] = (3, [[0, 4, 3, 4, 3, 3, 2.2f, 2, 0.8f, 2, 0, 3, 0, 5, 0.8f, 6, 2.8f, 6]]),
        ['v'] = (3.2f, [[0, 2, 1.6f, 6, 3.2f, 2]]),
        ['i'] = (0, [[0, 2, 0, 6], [0, 0.5f, 0, 0.6f]]),
        ['w'] = (4.4f, [[0, 2, 1.1f, 6, 2.2f, 3, 3.3f, 6, 4.4f, 2]]),
    };

    private const float Gap = 1.5f;

    /// <summary>The tag as an image, sized for a frame whose short side is <paramref name="shortSide"/> pixels.</summary>
    public static SKImage Create(int shortSide)
    {
        var unit = Math.Max(1.2f, shortSide / 720f * 2.6f);
        var textWidth = Text.Sum(ch => Glyphs[ch].Width) + (Gap * (Text.Length - 1));
        var pad = 2.2f * unit;
        var width = (int)MathF.Ceiling((textWidth * unit) + (2 * pad));
        var height = (int)MathF.Ceiling((8.6f * unit) + (2 * pad) - (1.2f * unit));
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Bgra8888, SKAlphaType.Premul))
            ?? throw new RenderFailedException("could not allocate the preview label");
        var c = surface.Canvas;
        c.Clear(SKColors.Transparent);
        using var pill = new SKPaint { IsAntialias = true, Color = new SKColor(0, 0, 0, 0x78) };
        c.DrawRoundRect(0, 0, width, height, height / 2f, height / 2f, pill);
        using var ink = new SKPaint
        {
            IsAntialias = true,
            Style = SKPaintStyle.Stroke,
            Color = new SKColor(0xFF, 0xFF, 0xFF, 0xE6),
            StrokeWidth = 0.75f * unit,
            StrokeCap = SKStrokeCap.Round,
            StrokeJoin = SKStrokeJoin.Round,
        };
        var x = pad;
        var top = pad - (0.6f * unit);
        foreach (var ch in Text)
        {
            var (glyphWidth, lines) = Glyphs[ch];
            foreach (var line in lines)
            {
                using var path = new SKPathBuilder();
                path.MoveTo(x + (line[0] * unit), top + (line[1] * unit));
                for (var k = 2; k < line.Length; k += 2)
                {
                    path.LineTo(x + (line[k] * unit), top + (line[k + 1] * unit));
                }
                c.DrawPath(path, ink);
            }
            x += (glyphWidth + Gap) * unit;
        }
        return surface.Snapshot();
    }

    /// <summary>Where the tag goes: the bottom-right corner, a little in from the edges.</summary>
    public static SKPoint Position(SKImage label, int width, int height)
    {
        var inset = Math.Max(4, Math.Min(width, height) / 40);
        return new SKPoint(width - label.Width - inset, height - label.Height - inset);
    }
}
