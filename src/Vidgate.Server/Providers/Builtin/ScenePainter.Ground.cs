using SkiaSharp;

namespace Vidgate.Server.Providers.Builtin;

internal static partial class ScenePainter
{
    // Lateral positions in ground units (camera height = 1): the road's half width and the facades of a street.
    private const float RoadHalf = 0.9f;
    private const float Facade = 1.9f;

    /// <summary>The middle layer (<paramref name="near"/> false: ground, water, road and every object from depth
    /// <see cref="NearDepth"/> on) or the near one (the objects in front of it and the foreground).</summary>
    private static void Ground(SKCanvas c, View v, SceneRandom r, bool near)
    {
        var s = v.Scene;
        if (s.Setting == Setting.Space)
        {
            if (near)
            {
                Rocks(c, v, r, v.Light.Lit(new SKColor(0x4A, 0x44, 0x50)));
            }
            return;
        }
        if (s.Setting == Setting.Room)
        {
            RoomStructure(c, v, near);
            return;
        }
        var objects = Objects(v, r);
        if (!near)
        {
            Land(c, v);
        }
        foreach (var (depth, draw) in objects.OrderByDescending(o => o.Depth))
        {
            if (depth < NearDepth == near)
            {
                draw(c);
            }
        }
        if (near)
        {
            Foreground(c, v, new SceneRandom(s.Seed ^ 0xF00D));
        }
    }

    private static SKColor GroundColour(View v) => v.Scene.Setting switch
    {
        _ when v.Snowy => new SKColor(0xEC, 0xF0, 0xF6),
        Setting.CityStreet => new SKColor(0x8C, 0x88, 0x82),
        Setting.Forest => new SKColor(0x34, 0x5E, 0x2C),
        Setting.Beach => new SKColor(0xE2, 0xCA, 0x98),
        Setting.Desert => new SKColor(0xDC, 0xAA, 0x66),
        Setting.Mountains => new SKColor(0x6A, 0x8C, 0x48),
        _ => new SKColor(0x64, 0xA0, 0x42),
    };

    private static void Land(SKCanvas c, View v)
    {
        var colour = GroundColour(v);
        using (var ground = new SKPaint
        {
            Shader = SKShader.CreateLinearGradient(new SKPoint(0, v.Horizon), new SKPoint(0, v.H),
                [v.Light.Lit(colour, 0.7f), v.Light.Lit(colour, 0.15f), v.Light.Lit(colour, 0)], [0, 0.4f, 1], SKShaderTileMode.Clamp),
        })
        {
            c.DrawRect(0, v.Horizon, v.W, v.H - v.Horizon, ground);
        }
        var s = v.Scene;
        if (s.Has(SceneElements.Water) && s.Setting != Setting.CityStreet)
        {
            Water(c, v, s.Setting == Setting.Beach ? 0.45f : 0.3f);
        }
        if (s.Has(SceneElements.Road))
        {
            Road(c, v);
        }
    }

    // Still water mirrors the sky: the gradient upside down, the sun as a column of glints, a few ripples.
    private static void Water(SKCanvas c, View v, float share)
    {
        var l = v.Light;
        var bottom = v.Horizon + ((v.H - v.Horizon) * share);
        var deep = new SKColor(0x1A, 0x46, 0x66);
        using (var water = new SKPaint
        {
            Shader = SKShader.CreateLinearGradient(new SKPoint(0, v.Horizon), new SKPoint(0, bottom),
                [SceneLight.Mix(l.Grade(l.Horizon), l.Lit(deep), 0.35f), SceneLight.Mix(l.Grade(l.SkyTop), l.Lit(deep), 0.55f)], null,
                SKShaderTileMode.Clamp),
        })
        {
            c.DrawRect(0, v.Horizon, v.W, bottom - v.Horizon, water);
        }
        var r = new SceneRandom(v.Scene.Seed ^ 0x77);
        using var glint = Stroke(Alpha(l.Glow(l.Sun), l.Night ? 0.5f : 0.75f), 1.6f * v.U);
        for (var y = v.Horizon + (2 * v.U); y < bottom; y += 3.5f * v.U)
        {
            var t = (y - v.Horizon) / (bottom - v.Horizon);
            var half = (6 + (40 * t)) * v.U * r.Range(0.3f, 1.2f);
            var x = v.Sun.X + (r.Range(-1, 1) * 20 * t * v.U);
            c.DrawLine(x - half, y, x + half, y, glint);
        }
        using var ripple = Stroke(Alpha(l.Lit(SKColors.White, 0.3f), 0.25f), 1.2f * v.U);
        for (var i = 0; i < 60; i++)
        {
            var y = r.Range(v.Horizon, bottom);
            var t = (y - v.Horizon) / (bottom - v.Horizon);
            var x = r.Range(0, v.W);
            c.DrawLine(x, y, x + ((20 + (80 * t)) * v.U), y, ripple);
        }
        if (v.Scene.Setting == Setting.Beach)
        {
            using var foam = Stroke(Alpha(l.Lit(SKColors.White), 0.85f), 3 * v.U);
            using var path = new SKPathBuilder();
            path.MoveTo(0, bottom);
            for (var x = 0f; x <= v.W; x += v.W / 24)
            {
                path.QuadTo(x + (v.W / 48), bottom + (r.Range(-1, 1) * 8 * v.U), x + (v.W / 24), bottom);
            }
            c.DrawPath(path, foam);
        }
    }

    // A road to the vanishing point; on a city street, pavements on both sides. Centre dashes are spaced evenly in depth.
    private static void Road(SKCanvas c, View v)
    {
        var l = v.Light;
        var far = 60f;
        if (v.Scene.Setting == Setting.CityStreet)
        {
            using var pavement = Fill(l.Lit(new SKColor(0x9A, 0x94, 0x8C), 0.2f));
            using var walk = Polygon(v.Project(-Facade, 0, far), v.Project(Facade, 0, far), v.Project(Facade, 0, 0.5f), v.Project(-Facade, 0, 0.5f));
            c.DrawPath(walk, pavement);
        }
        using (var asphalt = new SKPaint
        {
            IsAntialias = true,
            Shader = SKShader.CreateLinearGradient(new SKPoint(0, v.Horizon), new SKPoint(0, v.H),
                [l.Lit(new SKColor(0x50, 0x52, 0x58), 0.6f), l.Lit(new SKColor(0x3E, 0x40, 0x46))], null, SKShaderTileMode.Clamp),
        })
        using (var road = Polygon(v.Project(-RoadHalf, 0, far), v.Project(RoadHalf, 0, far), v.Project(RoadHalf, 0, 0.5f), v.Project(-RoadHalf, 0, 0.5f)))
        {
            c.DrawPath(road, asphalt);
        }
        using var line = Fill(l.Lit(new SKColor(0xF0, 0xE8, 0xC8), 0.1f));
        foreach (var side in (float[])[-1, 1])
        {
            using var edge = Polygon(v.Project(side * RoadHalf * 0.96f, 0, far), v.Project(side * RoadHalf * 0.93f, 0, far),
                v.Project(side * RoadHalf * 0.93f, 0, 0.5f), v.Project(side * RoadHalf * 0.96f, 0, 0.5f));
            c.DrawPath(edge, line);
        }
        for (var z = 0.6f; z < far; z += 1.6f)
        {
            using var dash = Polygon(v.Project(-0.03f, 0, z + 0.8f), v.Project(0.03f, 0, z + 0.8f), v.Project(0.03f, 0, z), v.Project(-0.03f, 0, z));
            c.DrawPath(dash, line);
        }
    }
}
