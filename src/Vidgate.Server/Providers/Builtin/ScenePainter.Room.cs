using SkiaSharp;

namespace Vidgate.Server.Providers.Builtin;

internal static partial class ScenePainter
{
    // Indoors, lamps keep the room visible at night; the window still shows the time of day outside.
    private static SceneLight Indoor(SceneLight l) => l with
    {
        Ambient = Math.Max(l.Ambient, 0.62f),
        Shadow = l.Night ? new SKColor(0x3A, 0x2A, 0x20) : l.Shadow,
        Sun = l.Night ? new SKColor(0xFF, 0xC8, 0x80) : l.Sun,
    };

    private static SKRect BackWall(View v) => new(
        v.G.VanishX - (v.G.Width * 0.3f), v.Horizon - (v.G.Height * 0.38f), v.G.VanishX + (v.G.Width * 0.3f), v.Horizon + (v.G.Height * 0.14f));

    /// <summary>The sky layer of a room: its back wall, with a window onto the sky of the prompt's time of day.</summary>
    private static void Room(SKCanvas c, View v)
    {
        var l = v.Light;
        c.DrawColor(Indoor(l).Lit(new SKColor(0xD6, 0xC4, 0xA8)));
        var wall = BackWall(v);
        var window = new SKRect(wall.MidX - (wall.Width * 0.22f), wall.Top + (wall.Height * 0.15f), wall.MidX + (wall.Width * 0.22f), wall.Top + (wall.Height * 0.62f));
        using (var sky = new SKPaint
        {
            Shader = SKShader.CreateLinearGradient(new SKPoint(0, window.Top), new SKPoint(0, window.Bottom),
                [l.Grade(l.SkyTop), l.Grade(l.Horizon)], null, SKShaderTileMode.Clamp),
        })
        {
            c.DrawRect(window, sky);
        }
        using var frame = Stroke(Indoor(l).Lit(new SKColor(0xF4, 0xF0, 0xE8)), 6 * v.U);
        c.DrawRect(window, frame);
        c.DrawLine(window.MidX, window.Top, window.MidX, window.Bottom, frame);
        c.DrawLine(window.Left, window.MidY, window.Right, window.MidY, frame);
    }

    private static void RoomStructure(SKCanvas c, View v, bool near)
    {
        var l = Indoor(v.Light);
        var wall = BackWall(v);
        if (!near)
        {
            using var floor = Fill(l.Lit(new SKColor(0x9A, 0x6A, 0x44)));
            using var floorPath = Polygon(new SKPoint(wall.Left, wall.Bottom), new SKPoint(wall.Right, wall.Bottom), new SKPoint(v.W * 1.3f, v.H), new SKPoint(-0.3f * v.W, v.H));
            c.DrawPath(floorPath, floor);
            using var boards = Stroke(l.Lit(new SKColor(0x7A, 0x50, 0x32)), 1.5f * v.U);
            for (var k = -8; k <= 8; k++)
            {
                c.DrawLine(wall.MidX + (k * wall.Width / 16), wall.Bottom, wall.MidX + (k * v.W * 0.1f), v.H, boards);
            }
            using var ceiling = Fill(l.Lit(new SKColor(0xEE, 0xE6, 0xDA)));
            using var ceilingPath = Polygon(new SKPoint(wall.Left, wall.Top), new SKPoint(wall.Right, wall.Top), new SKPoint(v.W * 1.3f, 0), new SKPoint(-0.3f * v.W, 0));
            c.DrawPath(ceilingPath, ceiling);
            foreach (var (x0, x1) in new[] { (wall.Left, -0.3f * v.W), (wall.Right, v.W * 1.3f) })
            {
                using var side = Fill(l.Lit(new SKColor(0xC2, 0xAE, 0x92)));
                using var sidePath = Polygon(new SKPoint(x0, wall.Top), new SKPoint(x1, 0), new SKPoint(x1, v.H), new SKPoint(x0, wall.Bottom));
                c.DrawPath(sidePath, side);
            }
            return;
        }
        // A table in front and a potted plant: something near for the camera to move past.
        using var wood = Fill(l.Lit(new SKColor(0x6A, 0x44, 0x2A)));
        var top = v.G.OffsetY + (v.G.Height * 0.86f);
        c.DrawRect(v.W * 0.18f, top, v.W * 0.32f, v.G.Height * 0.05f, wood);
        c.DrawRect(v.W * 0.2f, top, v.G.Height * 0.03f, v.H - top, wood);
        c.DrawRect((v.W * 0.48f) - (v.G.Height * 0.03f), top, v.G.Height * 0.03f, v.H - top, wood);
        using var pot = Fill(l.Lit(new SKColor(0xB8, 0x5A, 0x3A)));
        var px = v.W * 0.76f;
        c.DrawRect(px - (v.G.Height * 0.06f), top - (v.G.Height * 0.02f), v.G.Height * 0.12f, v.G.Height * 0.14f, pot);
        using var leaf = Fill(l.Lit(new SKColor(0x3C, 0x7A, 0x34)));
        var r = new SceneRandom(v.Scene.Seed ^ 0x9147);
        for (var i = 0; i < 9; i++)
        {
            c.DrawOval(px + (r.Range(-1, 1) * v.G.Height * 0.1f), top - (v.G.Height * r.Range(0.05f, 0.22f)), v.G.Height * 0.05f, v.G.Height * 0.022f, leaf);
        }
    }
}
