using System.Security.Cryptography;
using System.Text;

namespace Vidgate.Server.Providers.Builtin;

internal enum CameraMotion { Static, PushIn, PullOut, PanLeft, PanRight, TiltUp, TiltDown, Orbit, Handheld }

/// <summary>An sRGB colour; its only text form is our own ffmpeg hex literal.</summary>
internal readonly record struct Rgb(byte R, byte G, byte B)
{
    public override string ToString() => $"0x{R:X2}{G:X2}{B:X2}";
}

/// <summary>What the renderer draws for a prompt: colours dark to bright, a light colour, a camera move and a texture seed.</summary>
internal sealed record ScenePlan(IReadOnlyList<Rgb> Palette, Rgb Light, CameraMotion Motion, uint Seed);

/// <summary>
/// Turns a prompt into a <see cref="ScenePlan"/>. Pure and deterministic: the same prompt always gives
/// the same plan on every machine and process (stable hashes only, never <c>string.GetHashCode</c>).
/// </summary>
internal static class ScenePlanner
{
    // Phrases are matched on the normalised prompt (lower case, words separated by single spaces);
    // when several match, the one that appears first in the prompt wins.
    private static readonly (string Phrase, CameraMotion Motion)[] MotionPhrases =
    [
        ("moving forward", CameraMotion.PushIn), ("move forward", CameraMotion.PushIn),
        ("flying forward", CameraMotion.PushIn), ("push in", CameraMotion.PushIn),
        ("pushing in", CameraMotion.PushIn), ("dolly in", CameraMotion.PushIn),
        ("zoom in", CameraMotion.PushIn), ("zooming in", CameraMotion.PushIn),
        ("zoom out", CameraMotion.PullOut), ("zooming out", CameraMotion.PullOut),
        ("pull back", CameraMotion.PullOut), ("pull out", CameraMotion.PullOut),
        ("pulling back", CameraMotion.PullOut), ("pulling out", CameraMotion.PullOut),
        ("dolly out", CameraMotion.PullOut), ("moving backward", CameraMotion.PullOut),
        ("moving backwards", CameraMotion.PullOut),
        ("pan left", CameraMotion.PanLeft), ("panning left", CameraMotion.PanLeft),
        ("pan right", CameraMotion.PanRight), ("panning right", CameraMotion.PanRight),
        ("tilt up", CameraMotion.TiltUp), ("tilting up", CameraMotion.TiltUp),
        ("tilt down", CameraMotion.TiltDown), ("tilting down", CameraMotion.TiltDown),
        ("orbit", CameraMotion.Orbit), ("orbiting", CameraMotion.Orbit), ("orbits", CameraMotion.Orbit),
        ("circling", CameraMotion.Orbit), ("around", CameraMotion.Orbit),
        ("static", CameraMotion.Static), ("still", CameraMotion.Static),
        ("locked off", CameraMotion.Static), ("locked-off", CameraMotion.Static),
        ("handheld", CameraMotion.Handheld), ("hand-held", CameraMotion.Handheld), ("hand held", CameraMotion.Handheld),
        ("shaky cam", CameraMotion.Handheld), ("shaky camera", CameraMotion.Handheld),
        ("tracking forward", CameraMotion.PushIn), ("travelling forward", CameraMotion.PushIn),
        ("traveling forward", CameraMotion.PushIn), ("walking forward", CameraMotion.PushIn),
        ("driving forward", CameraMotion.PushIn), ("dolly forward", CameraMotion.PushIn),
        // Bare verbs after the phrases with a direction: at the same position the earlier entry wins.
        ("pan", CameraMotion.PanRight), ("panning", CameraMotion.PanRight), ("tilt", CameraMotion.TiltUp),
        // Chinese has no spaces: these match as substrings (see SceneText.IndexOf).
        ("向前", CameraMotion.PushIn), ("前进", CameraMotion.PushIn), ("推进", CameraMotion.PushIn), ("推近", CameraMotion.PushIn),
        ("拉近", CameraMotion.PushIn), ("拉远", CameraMotion.PullOut), ("后退", CameraMotion.PullOut), ("向后", CameraMotion.PullOut),
        ("向左", CameraMotion.PanLeft), ("左摇", CameraMotion.PanLeft), ("左移", CameraMotion.PanLeft),
        ("向右", CameraMotion.PanRight), ("右摇", CameraMotion.PanRight), ("右移", CameraMotion.PanRight),
        ("上摇", CameraMotion.TiltUp), ("向上", CameraMotion.TiltUp), ("下摇", CameraMotion.TiltDown), ("向下", CameraMotion.TiltDown),
        ("环绕", CameraMotion.Orbit), ("绕着", CameraMotion.Orbit), ("固定镜头", CameraMotion.Static), ("静止", CameraMotion.Static),
        ("手持", CameraMotion.Handheld),
    ];

    // Keyword palettes, dark to bright, plus the light colour. A word matches when it starts with the keyword
    // ("sunsets", "snowy"); the first matching word of the prompt wins.
    private static readonly (string[] Keywords, Rgb[] Palette, Rgb Light)[] KeywordPalettes =
    [
        (["sunset", "sunrise", "dusk", "dawn"], [new(0x2B, 0x10, 0x55), new(0xD5, 0x33, 0x69), new(0xFF, 0x9A, 0x44), new(0xFF, 0xD5, 0x8A)], new(0xFF, 0xE3, 0xB3)),
        (["ocean", "sea", "wave", "beach", "underwater", "water"], [new(0x03, 0x1A, 0x3A), new(0x0B, 0x4F, 0x7C), new(0x1F, 0x9E, 0xB4), new(0x9A, 0xE6, 0xE4)], new(0xD8, 0xF6, 0xFF)),
        (["forest", "jungle", "tree", "woods", "meadow", "grass"], [new(0x0B, 0x24, 0x12), new(0x1E, 0x5B, 0x2C), new(0x5F, 0x9E, 0x3A), new(0xC8, 0xE0, 0x7A)], new(0xF2, 0xF7, 0xC4)),
        (["night", "moon", "midnight", "star"], [new(0x05, 0x07, 0x1A), new(0x14, 0x1E, 0x4A), new(0x3A, 0x3F, 0x8F), new(0x8E, 0x9B, 0xD8)], new(0xDD, 0xE6, 0xFF)),
        (["city", "urban", "neon", "street", "cyberpunk"], [new(0x0E, 0x0B, 0x1E), new(0x3A, 0x0C, 0x5A), new(0xE0, 0x2F, 0x8F), new(0x2F, 0xD9, 0xE8)], new(0xFF, 0xD1, 0xF0)),
        (["snow", "winter", "ice", "frost", "glacier"], [new(0x5A, 0x72, 0x8C), new(0x9F, 0xB8, 0xD0), new(0xD8, 0xE6, 0xF2), new(0xFA, 0xFC, 0xFF)], new(0xFF, 0xFF, 0xFF)),
        (["fire", "flame", "lava", "volcano", "burning"], [new(0x14, 0x03, 0x02), new(0x7A, 0x0E, 0x05), new(0xE2, 0x45, 0x0C), new(0xFF, 0xC2, 0x3D)], new(0xFF, 0xE8, 0x9A)),
        (["desert", "sand", "dune", "canyon"], [new(0x5C, 0x32, 0x1A), new(0xB8, 0x6B, 0x2E), new(0xE3, 0xA8, 0x5C), new(0xF6, 0xE0, 0xB0)], new(0xFF, 0xF2, 0xD6)),
        (["space", "galaxy", "nebula", "cosmic", "universe"], [new(0x03, 0x02, 0x10), new(0x2A, 0x0E, 0x4F), new(0x7B, 0x2F, 0x9E), new(0x46, 0xB3, 0xE6)], new(0xF0, 0xE6, 0xFF)),
        (["autumn", "fall", "harvest"], [new(0x2E, 0x12, 0x08), new(0x8C, 0x2F, 0x0F), new(0xD9, 0x7B, 0x29), new(0xF2, 0xC1, 0x4E)], new(0xFF, 0xE9, 0xB8)),
        (["storm", "rain", "thunder", "fog", "mist"], [new(0x10, 0x14, 0x1C), new(0x2F, 0x3A, 0x4A), new(0x5E, 0x6E, 0x80), new(0xA9, 0xB6, 0xC4)], new(0xE4, 0xEC, 0xF5)),
    ];

    public static ScenePlan Plan(string prompt)
    {
        var words = Words(prompt);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join(' ', words)));
        var seed = BitConverter.ToUInt32(hash, 0);
        var (palette, light) = KeywordPalette(words) ?? HashPalette(hash);
        return new ScenePlan(palette, light, Motion(words), seed);
    }

    internal static List<string> Words(string prompt)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        foreach (var c in prompt.ToLowerInvariant())
        {
            // Hyphens stay inside words so "locked-off" survives; everything else separates.
            if (char.IsLetterOrDigit(c) || c == '-')
            {
                current.Append(c);
            }
            else if (current.Length > 0)
            {
                words.Add(current.ToString());
                current.Clear();
            }
        }
        if (current.Length > 0)
        {
            words.Add(current.ToString());
        }
        return words;
    }

    // Default when no phrase matches: a gentle push-in. It reads as "cinematic" for any subject and keeps
    // the output predictable; the hash already varies palette geometry and texture.
    private static CameraMotion Motion(List<string> words)
    {
        var text = SceneText.Join(words);
        var best = (Index: int.MaxValue, Motion: CameraMotion.PushIn);
        foreach (var (phrase, motion) in MotionPhrases)
        {
            var index = SceneText.IndexOf(text, phrase, exact: true);
            if (index >= 0 && index < best.Index)
            {
                best = (index, motion);
            }
        }
        return best.Motion;
    }

    private static (Rgb[] Palette, Rgb Light)? KeywordPalette(List<string> words)
    {
        foreach (var word in words)
        {
            foreach (var (keywords, palette, light) in KeywordPalettes)
            {
                if (keywords.Any(k => word.StartsWith(k, StringComparison.Ordinal)))
                {
                    return (palette, light);
                }
            }
        }
        return null;
    }

    // Analogous hues around a hash-chosen base, dark to bright, with one accent; the light is a pale tint.
    private static (Rgb[] Palette, Rgb Light) HashPalette(byte[] hash)
    {
        var hue = BitConverter.ToUInt16(hash, 4) % 360;
        var spread = 20 + (hash[6] % 30);
        var accent = hash[7] % 2 == 0 ? 150 : 210;
        Rgb[] palette =
        [
            Hsv(hue, 0.75, 0.16),
            Hsv(hue + spread, 0.70, 0.50),
            Hsv(hue + (2 * spread), 0.55, 0.85),
            Hsv(hue + accent, 0.40, 0.95),
        ];
        return (palette, Hsv(hue + (2 * spread), 0.20, 1.0));
    }

    private static Rgb Hsv(double hue, double saturation, double value)
    {
        hue = ((hue % 360) + 360) % 360;
        var c = value * saturation;
        var x = c * (1 - Math.Abs((hue / 60 % 2) - 1));
        var m = value - c;
        var (r, g, b) = (int)(hue / 60) switch
        {
            0 => (c, x, 0.0),
            1 => (x, c, 0.0),
            2 => (0.0, c, x),
            3 => (0.0, x, c),
            4 => (x, 0.0, c),
            _ => (c, 0.0, x),
        };
        return new Rgb(ToByte(r + m), ToByte(g + m), ToByte(b + m));
    }

    private static byte ToByte(double v) => (byte)Math.Clamp(Math.Round(v * 255), 0, 255);
}
