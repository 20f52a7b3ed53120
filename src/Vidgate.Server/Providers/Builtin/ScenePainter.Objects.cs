using SkiaSharp;

namespace Vidgate.Server.Providers.Builtin;

internal static partial class ScenePainter
{
    private static readonly SKColor[] Walls =
    [
        new(0xB0, 0x6A, 0x52), new(0xC8, 0xB8, 0x9C), new(0x8C, 0x96, 0xA4), new(0xD8, 0xCC, 0xB4), new(0x9A, 0x5A, 0x48), new(0x74, 0x7E, 0x8A),
    ];

    private static readonly SKColor[] NeonColours = [new(0xFF, 0x2E, 0xB4), new(0x2E, 0xF0, 0xFF), new(0xFF, 0xE0, 0x3A), new(0x9B, 0x5C, 0xFF)];

    /// <summary>Objects standing on the ground, each with its depth; drawn far to near on the layer their depth picks.</summary>
    private static List<(float Depth, Action<SKCanvas> Draw)> Objects(View v, SceneRandom r)
    {
        var s = v.Scene;
        var list = new List<(float, Action<SKCanvas>)>();
        if (s.Setting == Setting.CityStreet || (s.Has(SceneElements.Buildings) && s.Has(SceneElements.Road)))
        {
            foreach (var side in (float[])[-1, 1])
            {
                for (var z = 1.1f + r.Range(0, 0.6f); z < 40;)
                {
                    var depth = r.Range(1.2f, 3f) * (0.6f + (z * 0.08f));
                    var (z0, z1, height, wall) = (z, z + depth, r.Range(3.5f, 9f), Walls[(int)(r.Next() * Walls.Length)]);
                    var neon = s.Has(SceneElements.Neon) && r.Next() < 0.55f;
                    var seed = (uint)(r.Next() * uint.MaxValue);
                    list.Add((z0, c => Building(c, v, side, z0, z1, height, wall, neon, new SceneRandom(seed))));
                    z = z1 + r.Range(0.05f, 0.4f);
                }
            }
        }
        if (s.Has(SceneElements.Trees))
        {
            var street = s.Setting == Setting.CityStreet;
            var count = s.Setting == Setting.Forest ? 64 : street ? 0 : 12;
            for (var i = 0; i < count; i++)
            {
                var z = r.Range(1.3f, 25f);
                var x = r.Range(-1, 1) * (s.Setting == Setting.Forest ? 3f : 7f) * (0.3f + (z * 0.15f));
                if (s.Has(SceneElements.Road) && Math.Abs(x) < RoadHalf * 1.4f)
                {
                    x += Math.Sign(x == 0 ? 1 : x) * RoadHalf * 1.6f;
                }
                var pine = v.Snowy || s.Setting is Setting.Mountains || (s.Setting == Setting.Forest && r.Next() < 0.5f);
                var size = r.Range(2.2f, 3.4f);
                list.Add((z, c => Tree(c, v, x, z, size, pine)));
            }
            if (street)
            {
                // Street trees along both pavements, the nearest ones framing the view with their canopy.
                foreach (var side in (float[])[-1, 1])
                {
                    for (var z = 1.15f + r.Range(0, 0.3f); z < 30; z *= 1.55f)
                    {
                        var zz = z;
                        list.Add((zz, c => Tree(c, v, side * (RoadHalf + 0.45f), zz, 3.2f, pine: false)));
                    }
                }
            }
        }
        return list;
    }

    private static void Building(SKCanvas c, View v, float side, float z0, float z1, float height, SKColor wall, bool neon, SceneRandom r)
    {
        var l = v.Light;
        var distance = Math.Clamp((z0 - 1) / 30, 0, 1);
        using var face = Fill(l.Lit(side < 0 ? wall : SceneLight.Mix(wall, new SKColor(0x30, 0x30, 0x40), 0.25f), distance));
        using var quad = Polygon(v.Project(side * Facade, 0, z0), v.Project(side * Facade, 0, z1), v.Project(side * Facade, height, z1), v.Project(side * Facade, height, z0));
        c.DrawPath(quad, face);
        using var roof = Stroke(l.Lit(SceneLight.Mix(wall, SKColors.Black, 0.4f), distance), 2 * v.U / z0);
        c.DrawLine(v.Project(side * Facade, height, z0), v.Project(side * Facade, height, z1), roof);
        // The end wall facing the camera, so a row of houses reads as solid blocks.
        using var end = Fill(l.Lit(SceneLight.Mix(wall, SKColors.Black, 0.3f), distance));
        using var front = Polygon(v.Project(side * Facade, 0, z0), v.Project(side * (Facade + 3), 0, z0), v.Project(side * (Facade + 3), height, z0), v.Project(side * Facade, height, z0));
        c.DrawPath(front, end);

        var lit = l.Night || v.Scene.Time == TimeOfDay.Dusk;
        using var glass = Fill(lit ? l.Glow(new SKColor(0xFF, 0xD6, 0x8A)) : l.Lit(SceneLight.Mix(l.Horizon, new SKColor(0x30, 0x40, 0x58), 0.5f), distance));
        using var dark = Fill(l.Lit(new SKColor(0x28, 0x2C, 0x36), distance));
        var columns = Math.Max(1, (int)((z1 - z0) / 0.7f));
        for (var h = 1.2f; h < height - 0.6f; h += 1.1f)
        {
            for (var k = 0; k < columns; k++)
            {
                var za = z0 + ((z1 - z0) * (k + 0.25f) / columns);
                var zb = z0 + ((z1 - z0) * (k + 0.7f) / columns);
                using var window = Polygon(v.Project(side * Facade, h, za), v.Project(side * Facade, h, zb), v.Project(side * Facade, h + 0.6f, zb), v.Project(side * Facade, h + 0.6f, za));
                c.DrawPath(window, lit && r.Next() < 0.45f ? glass : lit ? dark : glass);
            }
        }
        if (neon)
        {
            var colour = l.Glow(NeonColours[(int)(r.Next() * NeonColours.Length)]);
            var h0 = r.Range(1.4f, 2.6f);
            var zm = z0 + ((z1 - z0) * r.Range(0.2f, 0.5f));
            using var sign = Polygon(v.Project(side * (Facade - 0.05f), h0, zm), v.Project(side * (Facade - 0.05f), h0, zm + 0.5f),
                v.Project(side * (Facade - 0.05f), h0 + 0.45f, zm + 0.5f), v.Project(side * (Facade - 0.05f), h0 + 0.45f, zm));
            using var halo = Stroke(Alpha(colour, 0.55f), 10 * v.U / z0);
            halo.MaskFilter = SKMaskFilter.CreateBlur(SKBlurStyle.Normal, 6 * v.U / z0);
            c.DrawPath(sign, halo);
            using var tube = Stroke(SceneLight.Mix(colour, SKColors.White, 0.4f), 2.5f * v.U / z0);
            c.DrawPath(sign, tube);
        }
    }

    /// <summary>A round-crowned or pine tree standing at lateral x and depth z, <paramref name="size"/> units tall.</summary>
    private static void Tree(SKCanvas c, View v, float x, float z, float size, bool pine)
    {
        var l = v.Light;
        var distance = Math.Clamp((z - 1) / 25, 0, 1);
        var foot = v.Project(x, 0, z);
        var scale = v.DepthScale / z;
        using var trunk = Fill(l.Lit(new SKColor(0x5A, 0x40, 0x2C), distance));
        var r = new SceneRandom((uint)((x * 1000) + (z * 7919)) ^ v.Scene.Seed);
        var leaf = v.Scene.Setting == Setting.Desert ? new SKColor(0x7A, 0x8C, 0x40) : new SKColor(0x3C, 0x7A, 0x34);
        if (pine)
        {
            c.DrawRect(foot.X - (0.06f * scale), foot.Y - (0.5f * scale), 0.12f * scale, 0.5f * scale, trunk);
            using var needles = Fill(l.Lit(new SKColor(0x24, 0x52, 0x30), distance));
            using var snow = Fill(l.Lit(new SKColor(0xF0, 0xF4, 0xFA), distance));
            for (var k = 0; k < 3; k++)
            {
                var bottom = foot.Y - ((0.35f + (k * 0.6f)) * scale);
                var half = (0.75f - (k * 0.18f)) * scale * size / 3;
                using var tier = Polygon(new SKPoint(foot.X, bottom - (1.1f * scale * size / 3)), new SKPoint(foot.X + half, bottom), new SKPoint(foot.X - half, bottom));
                c.DrawPath(tier, needles);
                if (v.Snowy)
                {
                    using var cap = Polygon(new SKPoint(foot.X, bottom - (1.1f * scale * size / 3)), new SKPoint(foot.X + (half * 0.4f), bottom - (0.65f * scale * size / 3)), new SKPoint(foot.X - (half * 0.4f), bottom - (0.65f * scale * size / 3)));
                    c.DrawPath(cap, snow);
                }
            }
            return;
        }
        var crown = new SKPoint(foot.X, foot.Y - (size * 0.62f * scale));
        c.DrawRect(foot.X - (0.07f * scale), crown.Y, 0.14f * scale, foot.Y - crown.Y, trunk);
        // Three shades: the crown's shadow side, its body, and highlights turned to the sun.
        var towardsSun = Math.Sign(v.Sun.X - foot.X);
        (SKColor Colour, float Dx, float Dy, float Radius)[] passes =
        [
            (l.Lit(SceneLight.Mix(leaf, l.Shadow, 0.45f), distance), -0.1f * towardsSun, 0.08f, 1f),
            (l.Lit(leaf, distance), 0, 0, 0.85f),
            (l.Lit(SceneLight.Mix(leaf, new SKColor(0xC8, 0xE0, 0x70), 0.45f), distance), 0.18f * towardsSun, -0.14f, 0.5f),
        ];
        var blobs = Enumerable.Range(0, 9).Select(_ => (Dx: r.Range(-0.8f, 0.8f), Dy: r.Range(-0.6f, 0.5f), Radius: r.Range(0.35f, 0.6f))).ToList();
        foreach (var (colour, dx, dy, radius) in passes)
        {
            using var paint = Fill(colour);
            foreach (var b in blobs)
            {
                c.DrawCircle(crown.X + ((b.Dx + dx) * size * 0.45f * scale), crown.Y + ((b.Dy + dy) * size * 0.4f * scale), b.Radius * radius * size * 0.4f * scale, paint);
            }
        }
    }

    private static void Foreground(SKCanvas c, View v, SceneRandom r)
    {
        var s = v.Scene;
        var natural = s.Setting is not (Setting.CityStreet or Setting.Desert or Setting.Beach) && !v.Snowy;
        if (natural)
        {
            using var grass = Stroke(v.Light.Lit(new SKColor(0x4C, 0x8A, 0x34)), 2.2f * v.U);
            for (var i = 0; i < 260; i++)
            {
                var x = r.Range(0, v.W);
                var y = v.H - (r.Next() * r.Next() * v.G.Height * 0.3f);
                var tall = r.Range(10, 34) * v.U * (0.4f + ((y - v.Horizon) / v.DepthScale));
                c.DrawLine(x, y, x + (r.Range(-0.4f, 0.4f) * tall), y - tall, grass);
            }
        }
        if (s.Setting == Setting.Desert || s.Setting == Setting.Beach || v.Snowy)
        {
            using var bank = Fill(v.Light.Lit(SceneLight.Mix(GroundColour(v), SKColors.White, 0.1f)));
            using var path = new SKPathBuilder();
            var baseY = v.G.OffsetY + (v.G.Height * 0.92f);
            path.MoveTo(0, v.H);
            path.LineTo(0, baseY);
            path.QuadTo(v.W * 0.2f, baseY - (v.G.Height * r.Range(0.02f, 0.08f)), v.W * 0.4f, baseY + (v.G.Height * 0.06f));
            path.LineTo(v.W * 0.4f, v.H);
            path.Close();
            c.DrawPath(path, bank);
        }
        if (s.Setting is Setting.Mountains or Setting.Desert or Setting.Snowfield)
        {
            Rocks(c, v, r, v.Light.Lit(v.Snowy ? new SKColor(0x8A, 0x90, 0x9C) : new SKColor(0x7A, 0x6A, 0x5A)));
        }
    }

    private static void Rocks(SKCanvas c, View v, SceneRandom r, SKColor colour)
    {
        using var rock = Fill(colour);
        using var shade = Fill(SceneLight.Mix(colour, SKColors.Black, 0.35f));
        for (var i = 0; i < 3; i++)
        {
            var x = r.Range(0.05f, 0.95f) * v.W;
            var y = v.G.OffsetY + (v.G.Height * r.Range(0.92f, 1.05f));
            var size = v.G.Height * r.Range(0.05f, 0.1f);
            c.DrawOval(x, y, size * 1.4f, size, shade);
            c.DrawOval(x - (size * 0.15f), y - (size * 0.15f), size * 1.15f, size * 0.8f, rock);
        }
    }

    // Shafts of light from the sun (or the top of a canopy when the sun is high) slanting down across the scene.
    private static void Rays(SKCanvas c, View v)
    {
        var r = new SceneRandom(v.Scene.Seed ^ 0xBEEF);
        var source = new SKPoint(v.Sun.X, Math.Min(v.Sun.Y, v.G.OffsetY));
        var colour = v.Light.Glow(SceneLight.Mix(v.Light.Sun, SKColors.White, 0.3f));
        using var blur = SKMaskFilter.CreateBlur(SKBlurStyle.Normal, 10 * v.U);
        for (var i = 0; i < 9; i++)
        {
            var angle = r.Range(-0.55f, 0.55f) + (v.Sun.X < v.W / 2 ? 0.25f : -0.25f);
            var spread = r.Range(0.015f, 0.05f);
            var length = v.H * 1.2f;
            var a = new SKPoint(source.X + (MathF.Sin(angle - spread) * length), source.Y + (MathF.Cos(angle - spread) * length));
            var b = new SKPoint(source.X + (MathF.Sin(angle + spread) * length), source.Y + (MathF.Cos(angle + spread) * length));
            using var paint = new SKPaint
            {
                IsAntialias = true,
                MaskFilter = blur,
                Shader = SKShader.CreateLinearGradient(source, new SKPoint((a.X + b.X) / 2, (a.Y + b.Y) / 2),
                    [Alpha(colour, r.Range(0.35f, 0.6f)), Alpha(colour, 0)], null, SKShaderTileMode.Clamp),
            };
            using var shaft = Polygon(source, a, b);
            c.DrawPath(shaft, paint);
        }
    }
}
