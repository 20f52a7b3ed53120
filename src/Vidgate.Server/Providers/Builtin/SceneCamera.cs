using SkiaSharp;

namespace Vidgate.Server.Providers.Builtin;

/// <summary>
/// The camera of a text scene: where it is at each frame (<see cref="At"/>) and how that moves a layer of a given
/// parallax (<see cref="Layer"/>). Far layers move little and near ones fully, so a push-in travels into the scene and a
/// pan slides the foreground past the mountains. Every move stays inside <see cref="SceneGeometry.Margin"/>.
/// </summary>
internal static class SceneCamera
{
    /// <summary>The camera at one frame. Shifts are in pixels for a layer of parallax 1.</summary>
    /// <param name="Zoom">Magnification of a parallax-1 layer about the vanishing point (1 = none).</param>
    /// <param name="Swing">Orbit: -1..1; near layers slide one way and far ones the other, around the middle.</param>
    internal readonly record struct Pose(float Zoom, float Dx, float Dy, float Swing, float ShakeX, float ShakeY, float Roll);

    public static Pose At(Scene scene, SceneGeometry g, int frame, int frames)
    {
        var t = frames <= 1 ? 0f : frame / (float)(frames - 1);
        var e = t * t * (3 - (2 * t));
        var pace = scene.Pace switch { CameraPace.Slow => 0.55f, CameraPace.Fast => 1.5f, _ => 1f };
        // Shifts are capped so that, with the handheld wobble on top, no edge of a layer ever shows.
        var reach = Math.Min(pace, 1.1f) * 0.2f;
        var pose = scene.Camera switch
        {
            CameraMotion.PushIn => new Pose(1 + (0.5f * pace * e), 0, 0, 0, 0, 0, 0),
            CameraMotion.PullOut => new Pose(1 + (0.5f * pace * (1 - e)), 0, 0, 0, 0, 0, 0),
            // "Pan left" turns the camera left: the picture slides to the right.
            CameraMotion.PanLeft => new Pose(1, g.Width * reach * ((2 * e) - 1), 0, 0, 0, 0, 0),
            CameraMotion.PanRight => new Pose(1, -g.Width * reach * ((2 * e) - 1), 0, 0, 0, 0, 0),
            CameraMotion.TiltUp => new Pose(1, 0, g.Height * reach * ((2 * e) - 1), 0, 0, 0, 0),
            CameraMotion.TiltDown => new Pose(1, 0, -g.Height * reach * ((2 * e) - 1), 0, 0, 0, 0),
            CameraMotion.Orbit => new Pose(1.06f, 0, 0, MathF.Sin(2 * MathF.PI * t) * Math.Min(pace, 1.1f), 0, 0, 0),
            _ => new Pose(1, 0, 0, 0, 0, 0, 0),
        };
        if (scene.Camera == CameraMotion.Handheld)
        {
            // A few incommensurate sines: a wander with no visible period, the same for the same frame.
            var seconds = frame / (float)BuiltinOptions.Fps;
            var phase = (scene.Seed & 0xFF) / 40f;
            pose = pose with
            {
                ShakeX = g.Width * 0.012f * pace * (MathF.Sin((seconds * 1.7f) + phase) + (0.5f * MathF.Sin((seconds * 4.3f) + (2 * phase)))),
                ShakeY = g.Height * 0.012f * pace * (MathF.Sin((seconds * 2.3f) + (3 * phase)) + (0.4f * MathF.Sin(seconds * 5.1f))),
                Roll = 0.5f * pace * MathF.Sin((seconds * 1.1f) + phase),
            };
        }
        return pose;
    }

    /// <summary>Layer coordinates → frame coordinates for a layer of <paramref name="parallax"/> (0 = at infinity, 1 = near).</summary>
    public static SKMatrix Layer(Pose pose, SceneGeometry g, float parallax)
    {
        var zoom = 1 + ((pose.Zoom - 1) * parallax);
        var swing = pose.Swing * g.Width * 0.2f * (parallax - 0.4f) / 0.6f;
        var vanish = new SKPoint(g.Width / 2f, g.Height * 0.55f);
        var matrix = SKMatrix.CreateTranslation(-g.OffsetX, -g.OffsetY);
        matrix = matrix.PostConcat(SKMatrix.CreateScale(zoom, zoom, vanish.X, vanish.Y));
        matrix = matrix.PostConcat(SKMatrix.CreateTranslation((pose.Dx * parallax) + swing + pose.ShakeX, (pose.Dy * parallax) + pose.ShakeY));
        if (pose.Roll != 0)
        {
            matrix = matrix.PostConcat(SKMatrix.CreateRotationDegrees(pose.Roll, g.Width / 2f, g.Height / 2f));
        }
        return matrix;
    }
}
