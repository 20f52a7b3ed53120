using SkiaSharp;

namespace Vidgate.Server.Providers.Builtin;

/// <summary>
/// The light of a time of day: sky gradient, sun (or moon) colour and height, how lit the ground is and the colour shadows
/// take. Every colour the painter uses goes through <see cref="Lit"/> or <see cref="Grade"/>, so time and style words
/// reach every pixel.
/// </summary>
/// <param name="SunHeight">0 at the horizon, 1 at the top of the sky; below 0 the sun has set (only its glow shows).</param>
/// <param name="Ambient">How much of an object's own colour is seen: 1 at noon, about a fifth at night.</param>
internal sealed record SceneLight(
    SKColor SkyTop, SKColor Horizon, SKColor Sun, float SunHeight, float Ambient, SKColor Shadow, bool Night, SceneStyle Style)
{
    public static SceneLight For(TimeOfDay time, SceneStyle style, bool overcast) => Dim(time switch
    {
        TimeOfDay.Dawn => new SceneLight(new(0x6E, 0x92, 0xCC), new(0xFF, 0xC9, 0x9E), new(0xFF, 0xE4, 0xB0), 0.22f, 0.85f, new(0x4A, 0x50, 0x7A), false, style),
        TimeOfDay.GoldenHour => new SceneLight(new(0x5A, 0x86, 0xC4), new(0xFF, 0xC4, 0x6E), new(0xFF, 0xD2, 0x72), 0.2f, 0.9f, new(0x5C, 0x40, 0x50), false, style),
        TimeOfDay.Sunset => new SceneLight(new(0x3A, 0x2A, 0x6C), new(0xFF, 0x7C, 0x3E), new(0xFF, 0x9C, 0x52), 0.06f, 0.68f, new(0x42, 0x22, 0x46), false, style),
        TimeOfDay.Dusk => new SceneLight(new(0x1A, 0x22, 0x50), new(0xC2, 0x6C, 0x7C), new(0xE8, 0x92, 0x84), -0.08f, 0.42f, new(0x1E, 0x1A, 0x3E), false, style),
        TimeOfDay.Night => new SceneLight(new(0x04, 0x07, 0x18), new(0x15, 0x20, 0x46), new(0xEE, 0xF0, 0xFF), 0.62f, 0.2f, new(0x04, 0x05, 0x12), true, style),
        _ => new SceneLight(new(0x36, 0x78, 0xD6), new(0xB6, 0xDA, 0xF6), new(0xFF, 0xFB, 0xE6), 0.82f, 1f, new(0x36, 0x46, 0x60), false, style),
    }, overcast);

    // Rain and storms grey the sky and take a quarter of the light.
    private static SceneLight Dim(SceneLight light, bool overcast) => !overcast ? light : light with
    {
        SkyTop = Mix(light.SkyTop, new SKColor(0x50, 0x58, 0x64), 0.7f),
        Horizon = Mix(light.Horizon, new SKColor(0x90, 0x98, 0xA2), 0.7f),
        Ambient = light.Ambient * 0.75f,
    };

    /// <summary>An object's colour under this light, fading into the horizon colour with distance (0 near, 1 far).</summary>
    public SKColor Lit(SKColor colour, float distance = 0)
    {
        var shaded = Mix(Mix(Shadow, colour, Ambient), Multiply(colour, Sun), 0.15f * Ambient);
        return Grade(Mix(shaded, Horizon, Math.Clamp(distance, 0, 1) * 0.75f));
    }

    /// <summary>A light source's own colour (windows, neon, the sun): not dimmed by the time of day, only graded.</summary>
    public SKColor Glow(SKColor colour) => Grade(colour);

    public SKColor Grade(SKColor c)
    {
        float r = c.Red, g = c.Green, b = c.Blue;
        if ((Style & SceneStyle.Neon) != 0)
        {
            // More saturation, pushed towards magenta and cyan.
            var mean = (r + g + b) / 3;
            (r, g, b) = (mean + ((r - mean) * 1.5f) + 12, mean + ((g - mean) * 1.3f) - 10, mean + ((b - mean) * 1.5f) + 22);
        }
        if ((Style & SceneStyle.Warm) != 0)
        {
            (r, g, b) = ((r * 1.1f) + 8, g * 1.0f, b * 0.82f);
        }
        if ((Style & SceneStyle.Cold) != 0)
        {
            (r, g, b) = (r * 0.84f, g * 0.96f, (b * 1.12f) + 10);
        }
        if ((Style & SceneStyle.Pastel) != 0)
        {
            var mean = (r + g + b) / 3;
            (r, g, b) = (Pastel(r, mean), Pastel(g, mean), Pastel(b, mean));
        }
        if ((Style & SceneStyle.Vintage) != 0)
        {
            var y = (0.3f * r) + (0.59f * g) + (0.11f * b);
            (r, g, b) = ((0.5f * r) + (0.5f * ((y * 1.07f) + 20)), (0.5f * g) + (0.5f * ((y * 0.95f) + 10)), (0.5f * b) + (0.5f * (y * 0.75f)));
        }
        if ((Style & SceneStyle.BlackAndWhite) != 0)
        {
            var y = (0.3f * r) + (0.59f * g) + (0.11f * b);
            (r, g, b) = (y, y, y);
        }
        return new SKColor(Byte(r), Byte(g), Byte(b), c.Alpha);
    }

    public static SKColor Mix(SKColor a, SKColor b, float t) => new(
        Byte(a.Red + ((b.Red - a.Red) * t)), Byte(a.Green + ((b.Green - a.Green) * t)),
        Byte(a.Blue + ((b.Blue - a.Blue) * t)), Byte(a.Alpha + ((b.Alpha - a.Alpha) * t)));

    private static SKColor Multiply(SKColor a, SKColor b) =>
        new((byte)(a.Red * b.Red / 255), (byte)(a.Green * b.Green / 255), (byte)(a.Blue * b.Blue / 255), a.Alpha);

    private static float Pastel(float v, float mean) => ((mean + ((v - mean) * 0.55f)) * 0.6f) + (255 * 0.4f);

    private static byte Byte(float v) => (byte)Math.Clamp(MathF.Round(v), 0, 255);
}
