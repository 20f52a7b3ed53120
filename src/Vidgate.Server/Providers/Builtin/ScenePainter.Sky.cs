using SkiaSharp;

namespace Vidgate.Server.Providers.Builtin;

internal static partial class ScenePainter
{
    private static void Sky(SKCanvas c, View v, SceneRandom r)
    {
        var l = v.Light;
        if (v.Scene.Setting == Setting.Space)
        {
            Space(c, v, r);
            return;
        }
        if (v.Scene.Setting == Setting.Room)
        {
            Room(c, v);
            return;
        }
        using (var sky = new SKPaint
        {
            Shader = SKShader.CreateLinearGradient(new SKPoint(0, v.G.OffsetY), new SKPoint(0, v.Horizon),
                [l.Grade(l.SkyTop), l.Grade(l.Horizon)], null, SKShaderTileMode.Clamp),
        })
        {
            c.DrawRect(0, 0, v.W, v.H, sky);
        }
        if (l.Night)
        {
            Stars(c, v, r, 260, v.Horizon);
        }
        SunDisc(c, v);
        if (v.Scene.Has(SceneElements.Clouds) || v.Scene.Has(SceneElements.Rain))
        {
            Clouds(c, v, r, v.Scene.Has(SceneElements.Rain) ? 9 : 5);
        }
    }

    private static void SunDisc(SKCanvas c, View v)
    {
        var l = v.Light;
        var glowRadius = v.G.Height * (l.Night ? 0.3f : 0.75f);
        using (var glow = new SKPaint
        {
            Shader = SKShader.CreateRadialGradient(v.Sun, glowRadius,
                [Alpha(l.Glow(l.Sun), l.Night ? 0.22f : 0.6f), Alpha(l.Glow(l.Sun), 0)], null, SKShaderTileMode.Clamp),
        })
        {
            c.DrawCircle(v.Sun, glowRadius, glow);
        }
        if (l.SunHeight > -0.02f)
        {
            using var disc = Fill(l.Glow(l.Night ? l.Sun : SKColors.White.WithAlpha(250)));
            c.DrawCircle(v.Sun, v.G.Height * (l.Night ? 0.035f : 0.045f), disc);
        }
    }

    private static void Stars(SKCanvas c, View v, SceneRandom r, int count, float bottom)
    {
        using var star = Fill(SKColors.White);
        for (var i = 0; i < count; i++)
        {
            star.Color = Alpha(v.Light.Glow(SKColors.White), r.Range(0.3f, 1f));
            c.DrawCircle(r.Range(0, v.W), r.Range(0, bottom), r.Range(0.6f, 1.8f) * v.U, star);
        }
    }

    private static void Clouds(SKCanvas c, View v, SceneRandom r, int count)
    {
        var l = v.Light;
        var top = l.Lit(new SKColor(0xFF, 0xFF, 0xFF), 0.2f);
        var bottom = l.Lit(new SKColor(0xB8, 0xBE, 0xCC), 0.3f);
        using var blur = SKMaskFilter.CreateBlur(SKBlurStyle.Normal, 5 * v.U);
        using var paint = Fill(top);
        paint.MaskFilter = blur;
        for (var i = 0; i < count; i++)
        {
            var cx = r.Range(0, v.W);
            var cy = r.Range(v.G.OffsetY, v.Horizon - (v.G.Height * 0.15f));
            var size = v.G.Height * r.Range(0.05f, 0.1f) * (0.6f + ((cy - v.G.OffsetY) / v.G.Height));
            for (var pass = 0; pass < 2; pass++)
            {
                paint.Color = Alpha(pass == 0 ? bottom : top, 0.9f);
                var rr = new SceneRandom((uint)(i * 7919) ^ v.Scene.Seed);
                for (var k = 0; k < 7; k++)
                {
                    var dx = rr.Range(-2.2f, 2.2f) * size;
                    var rad = size * rr.Range(0.6f, 1.2f) * (1 - (Math.Abs(dx) / (3.2f * size)));
                    var lift = pass == 0 ? 0 : -0.25f * size;
                    c.DrawOval(cx + dx, cy + lift - (rr.Next() * 0.4f * size), rad * 1.3f, rad * (pass == 0 ? 0.7f : 0.8f), paint);
                }
            }
        }
    }

    private static void Space(SKCanvas c, View v, SceneRandom r)
    {
        var l = v.Light;
        c.DrawColor(l.Grade(new SKColor(0x03, 0x03, 0x0E)));
        SKColor[] nebulae = [new(0x7B, 0x2F, 0x9E), new(0x2E, 0x6C, 0xC8), new(0xC8, 0x3A, 0x7A)];
        for (var i = 0; i < 3; i++)
        {
            var centre = new SKPoint(r.Range(0.2f, 0.8f) * v.W, r.Range(0.2f, 0.8f) * v.H);
            var radius = v.G.Height * r.Range(0.35f, 0.7f);
            using var cloud = new SKPaint
            {
                Shader = SKShader.CreateRadialGradient(centre, radius,
                    [Alpha(l.Grade(nebulae[i]), 0.55f), Alpha(l.Grade(nebulae[i]), 0)], null, SKShaderTileMode.Clamp),
            };
            c.DrawCircle(centre, radius, cloud);
        }
        Stars(c, v, r, 520, v.H);
    }

    private static void Far(SKCanvas c, View v, SceneRandom r)
    {
        var s = v.Scene;
        switch (s.Setting)
        {
            case Setting.Space:
                Planet(c, v, r);
                return;
            case Setting.Room:
                return;
            case Setting.Desert:
                Dunes(c, v, r, 0.7f);
                break;
        }
        if (s.Has(SceneElements.Mountains))
        {
            var tall = s.Setting is Setting.Mountains or Setting.Snowfield ? 1f : 0.5f;
            Range(c, v, r, v.Light.Lit(new SKColor(0x5E, 0x68, 0x7A), 0.8f), 0.55f * tall, 0.8f);
            Range(c, v, r, v.Light.Lit(new SKColor(0x4C, 0x56, 0x62), 0.5f), 0.38f * tall, 0.5f);
        }
        if (s.Has(SceneElements.Buildings))
        {
            Skyline(c, v, r);
        }
        if (s.Has(SceneElements.Trees) && s.Setting != Setting.CityStreet)
        {
            Treeline(c, v, r);
        }
    }

    // A jagged range: the highest of a few triangular peaks at each point, snow on the tips when the scene is snowy.
    private static void Range(SKCanvas c, View v, SceneRandom r, SKColor colour, float height, float distance)
    {
        var peaks = Enumerable.Range(0, 7)
            .Select(_ => (X: r.Range(-0.1f, 1.1f) * v.W, Top: v.G.Height * height * r.Range(0.45f, 1f), Half: v.W * r.Range(0.1f, 0.22f)))
            .ToList();
        float Ridge(float x) => peaks.Max(p => p.Top * Math.Max(0, 1 - (Math.Abs(x - p.X) / p.Half)));
        using var path = new SKPathBuilder();
        path.MoveTo(0, v.Horizon + (4 * v.U));
        for (var x = 0f; x <= v.W; x += v.W / 90)
        {
            path.LineTo(x, v.Horizon - Ridge(x) - (r.Next() * 4 * v.U));
        }
        path.LineTo(v.W, v.Horizon + (4 * v.U));
        path.Close();
        using var fill = Fill(colour);
        c.DrawPath(path, fill);
        var snowy = v.Snowy || v.Scene.Setting == Setting.Mountains;
        using var cap = Fill(v.Light.Lit(new SKColor(0xF4, 0xF7, 0xFC), distance * 0.7f));
        foreach (var p in peaks.Where(p => snowy && p.Top > Ridge(p.X) * 0.98f))
        {
            var apex = new SKPoint(p.X, v.Horizon - p.Top);
            var drop = p.Top * (v.Snowy ? 0.45f : 0.25f);
            using var tip = Polygon(apex, new SKPoint(p.X + (p.Half * drop / p.Top), apex.Y + drop),
                new SKPoint(p.X, apex.Y + (drop * 0.75f)), new SKPoint(p.X - (p.Half * drop / p.Top), apex.Y + drop));
            c.DrawPath(tip, cap);
        }
    }

    private static void Skyline(SKCanvas c, View v, SceneRandom r)
    {
        var night = v.Light.Night || v.Scene.Time == TimeOfDay.Dusk;
        using var body = Fill(v.Light.Lit(new SKColor(0x70, 0x78, 0x88), 0.75f));
        using var window = Fill(v.Light.Glow(new SKColor(0xFF, 0xD8, 0x8A)));
        for (var x = -10f; x < v.W;)
        {
            var width = v.G.Height * r.Range(0.04f, 0.09f);
            var height = v.G.Height * r.Range(0.06f, 0.3f);
            c.DrawRect(x, v.Horizon - height, width, height + (4 * v.U), body);
            if (night)
            {
                for (var wy = v.Horizon - height + (6 * v.U); wy < v.Horizon - (4 * v.U); wy += 7 * v.U)
                {
                    for (var wx = x + (4 * v.U); wx < x + width - (4 * v.U); wx += 6 * v.U)
                    {
                        if (r.Next() < 0.35f)
                        {
                            c.DrawRect(wx, wy, 2.5f * v.U, 3 * v.U, window);
                        }
                    }
                }
            }
            x += width + (r.Next() * 3 * v.U);
        }
    }

    private static void Treeline(SKCanvas c, View v, SceneRandom r)
    {
        using var leaves = Fill(v.Light.Lit(new SKColor(0x2F, 0x5C, 0x34), 0.6f));
        for (var x = 0f; x < v.W; x += v.G.Height * 0.018f)
        {
            // A forest's far edge is a wall of crowns; elsewhere a low line of trees.
            var radius = v.G.Height * r.Range(0.015f, 0.035f) * (v.Scene.Setting == Setting.Forest ? 2.2f : 1f);
            c.DrawCircle(x, v.Horizon - (radius * 0.6f), radius, leaves);
        }
        c.DrawRect(0, v.Horizon - (2 * v.U), v.W, 6 * v.U, leaves);
    }

    private static void Dunes(SKCanvas c, View v, SceneRandom r, float distance)
    {
        for (var band = 0; band < 3; band++)
        {
            using var path = new SKPathBuilder();
            var baseY = v.Horizon + (band * v.G.Height * 0.04f);
            path.MoveTo(0, baseY + (v.G.Height * 0.1f));
            for (var x = 0f; x <= v.W; x += v.W / 6)
            {
                path.QuadTo(x + (v.W / 12), baseY - (v.G.Height * r.Range(0.02f, 0.08f)), x + (v.W / 6), baseY);
            }
            path.LineTo(v.W, baseY + (v.G.Height * 0.1f));
            path.Close();
            using var sand = Fill(v.Light.Lit(new SKColor(0xD8, 0xA0, 0x5C), distance - (band * 0.2f)));
            c.DrawPath(path, sand);
        }
    }

    private static void Planet(SKCanvas c, View v, SceneRandom r)
    {
        var centre = new SKPoint(v.G.OffsetX + (v.G.Width * r.Range(0.2f, 0.8f)), v.G.OffsetY + (v.G.Height * r.Range(0.55f, 0.8f)));
        var radius = v.G.Height * r.Range(0.22f, 0.32f);
        using var paint = new SKPaint
        {
            IsAntialias = true,
            Shader = SKShader.CreateRadialGradient(new SKPoint(centre.X - (radius * 0.4f), centre.Y - (radius * 0.4f)), radius * 1.5f,
                [v.Light.Grade(new SKColor(0x7C, 0xB8, 0xE8)), v.Light.Grade(new SKColor(0x24, 0x3C, 0x7A)), v.Light.Grade(new SKColor(0x05, 0x06, 0x14))],
                [0, 0.6f, 1], SKShaderTileMode.Clamp),
        };
        c.DrawCircle(centre, radius, paint);
        using var ring = Stroke(Alpha(v.Light.Grade(new SKColor(0xE8, 0xD8, 0xB0)), 0.7f), 4 * v.U);
        c.DrawOval(centre, new SKSize(radius * 1.8f, radius * 0.35f), ring);
    }
}
