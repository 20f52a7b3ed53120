using SkiaSharp;

namespace Vidgate.Server.Providers.Builtin;

/// <summary>
/// What moves by itself, drawn per frame in frame coordinates over the layers: rain, snow, birds, fireflies and fog.
/// Each particle is a pure function of its seed and the time, so any frame can be drawn on any thread in any order.
/// </summary>
internal sealed class SceneEffects
{
    private readonly Scene _scene;
    private readonly SceneLight _light;
    private readonly int _width;
    private readonly int _height;
    private readonly float _unit;
    private readonly (float X, float Y, float Speed, float Size)[] _particles;

    public SceneEffects(Scene scene, int width, int height)
    {
        (_scene, _width, _height, _unit) = (scene, width, height, Math.Min(width, height) / 720f);
        _light = SceneLight.For(scene.Time, scene.Style, scene.Has(SceneElements.Rain));
        var r = new SceneRandom(scene.Seed ^ 0xE1E1);
        _particles = [.. Enumerable.Range(0, 240).Select(_ => (r.Next(), r.Next(), r.Range(0.7f, 1.3f), r.Range(0.6f, 1.4f)))];
    }

    public void Draw(SKCanvas c, float seconds)
    {
        if (_scene.Has(SceneElements.Fog))
        {
            Fog(c);
        }
        if (_scene.Has(SceneElements.Birds))
        {
            Birds(c, seconds);
        }
        if (_scene.Has(SceneElements.Fireflies))
        {
            Fireflies(c, seconds);
        }
        if (_scene.Has(SceneElements.Rain))
        {
            Rain(c, seconds);
        }
        if (_scene.Has(SceneElements.Snow))
        {
            Snow(c, seconds);
        }
    }

    private void Fog(SKCanvas c)
    {
        var fog = _light.Lit(new SKColor(0xD8, 0xDE, 0xE4), 0.4f);
        using var paint = new SKPaint
        {
            Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(0, _height),
                [fog.WithAlpha(0x10), fog.WithAlpha(0xA0), fog.WithAlpha(0x60)], [0.1f, 0.56f, 1], SKShaderTileMode.Clamp),
        };
        c.DrawRect(0, 0, _width, _height, paint);
    }

    private void Rain(SKCanvas c, float seconds)
    {
        using var streak = new SKPaint
        {
            IsAntialias = true,
            Style = SKPaintStyle.Stroke,
            StrokeWidth = 1.4f * _unit,
            Color = _light.Lit(new SKColor(0xC8, 0xD4, 0xE6), 0.2f).WithAlpha(0x90),
        };
        var length = 28 * _unit;
        foreach (var (x, y, speed, size) in _particles)
        {
            var py = Wrap(y + (seconds * 1.6f * speed), 1.1f) * _height;
            var px = Wrap(x + (seconds * 0.12f), 1) * _width;
            c.DrawLine(px, py, px - (length * 0.18f * size), py - (length * size), streak);
        }
    }

    private void Snow(SKCanvas c, float seconds)
    {
        using var flake = new SKPaint { IsAntialias = true, Color = _light.Lit(SKColors.White, 0.1f).WithAlpha(0xE0) };
        foreach (var (x, y, speed, size) in _particles)
        {
            var py = Wrap(y + (seconds * 0.12f * speed), 1.05f) * _height;
            var px = (Wrap(x, 1) * _width) + (MathF.Sin((seconds * 1.3f * speed) + (x * 20)) * 12 * _unit);
            c.DrawCircle(px, py, 2.4f * size * _unit, flake);
        }
    }

    private void Birds(SKCanvas c, float seconds)
    {
        using var ink = new SKPaint
        {
            IsAntialias = true,
            Style = SKPaintStyle.Stroke,
            StrokeWidth = 2.2f * _unit,
            StrokeCap = SKStrokeCap.Round,
            Color = _light.Lit(new SKColor(0x22, 0x24, 0x2C)),
        };
        for (var i = 0; i < 7; i++)
        {
            var (x, y, speed, size) = _particles[i];
            var px = (Wrap(x + (seconds * 0.05f * speed), 1.2f) - 0.1f) * _width;
            var py = (_height * (0.12f + (0.25f * y))) + (MathF.Sin((seconds * 2) + i) * 6 * _unit);
            var span = 11 * size * _unit;
            var flap = MathF.Sin((seconds * 9 * speed) + (i * 1.7f)) * span * 0.6f;
            using var path = new SKPathBuilder();
            path.MoveTo(px - span, py - flap);
            path.QuadTo(px - (span * 0.4f), py - (span * 0.3f), px, py);
            path.QuadTo(px + (span * 0.4f), py - (span * 0.3f), px + span, py - flap);
            c.DrawPath(path, ink);
        }
    }

    private void Fireflies(SKCanvas c, float seconds)
    {
        var colour = _light.Glow(new SKColor(0xF6, 0xF0, 0x8A));
        using var glow = new SKPaint { IsAntialias = true };
        for (var i = 0; i < 60; i++)
        {
            var (x, y, speed, size) = _particles[i];
            var px = (x * _width) + (MathF.Sin((seconds * 0.7f * speed) + (i * 2.1f)) * 30 * _unit);
            var py = (_height * (0.45f + (0.5f * y))) + (MathF.Cos((seconds * 0.5f * speed) + i) * 20 * _unit);
            var pulse = 0.5f + (0.5f * MathF.Sin((seconds * 3 * speed) + (i * 0.9f)));
            glow.Color = colour.WithAlpha((byte)(60 * pulse));
            c.DrawCircle(px, py, 9 * size * _unit, glow);
            glow.Color = colour.WithAlpha((byte)(140 + (110 * pulse)));
            c.DrawCircle(px, py, 2.2f * size * _unit, glow);
        }
    }

    private static float Wrap(float v, float period) => ((v % period) + period) % period;
}
