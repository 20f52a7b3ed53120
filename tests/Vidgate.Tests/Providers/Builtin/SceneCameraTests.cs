using SkiaSharp;
using Vidgate.Server.Providers.Builtin;

namespace Vidgate.Tests.Providers.Builtin;

/// <summary>The camera of a text scene, as geometry: no layer edge ever shows, and the words move it the right way.</summary>
public sealed class SceneCameraTests
{
    // Names, not the enums: the renderer's types are internal to the server.
    public static TheoryData<string, string, int, int> Every_move() => new(
        from motion in Enum.GetNames<CameraMotion>()
        from pace in Enum.GetNames<CameraPace>()
        from size in new[] { (1280, 720), (720, 1280), (1920, 480), (426, 240) }
        select (motion, pace, size.Item1, size.Item2));

    [Theory]
    [MemberData(nameof(Every_move))]
    public void No_layer_edge_ever_shows(string motionName, string paceName, int width, int height)
    {
        var (motion, pace) = (Enum.Parse<CameraMotion>(motionName), Enum.Parse<CameraPace>(paceName));
        var g = new SceneGeometry(width, height);
        var scene = new Scene(Setting.Landscape, TimeOfDay.Day, SceneElements.None, SceneStyle.None, motion, pace, 12345);
        const int frames = 96;
        for (var frame = 0; frame < frames; frame++)
        {
            var pose = SceneCamera.At(scene, g, frame, frames);
            foreach (var parallax in (float[])[0.04f, 0.2f, 0.55f, 0.7f, 1f])
            {
                Assert.True(SceneCamera.Layer(pose, g, parallax).TryInvert(out var inverse));
                foreach (var corner in (SKPoint[])[new(0, 0), new(width, 0), new(0, height), new(width, height)])
                {
                    var p = inverse.MapPoint(corner);
                    Assert.True(p.X >= 0 && p.Y >= 0 && p.X <= g.LayerWidth && p.Y <= g.LayerHeight,
                        $"{motion} {pace} frame {frame} parallax {parallax}: frame corner {corner} comes from {p} outside the layer");
                }
            }
        }
    }

    [Theory]
    [InlineData("PanLeft", 1)]
    [InlineData("PanRight", -1)]
    public void A_pan_moves_near_layers_further_than_far_ones_in_its_direction(string motion, int sign)
    {
        var (g, scene) = Setup(Enum.Parse<CameraMotion>(motion), CameraPace.Normal);
        float Moved(float parallax) =>
            SceneCamera.Layer(SceneCamera.At(scene, g, 47, 48), g, parallax).MapPoint(new SKPoint(500, 300)).X
            - SceneCamera.Layer(SceneCamera.At(scene, g, 0, 48), g, parallax).MapPoint(new SKPoint(500, 300)).X;

        Assert.True(sign * Moved(1f) > 200, $"near layer moved {Moved(1f)}");
        Assert.True(sign * Moved(1f) > 4 * sign * Moved(0.2f), $"near {Moved(1f)} vs far {Moved(0.2f)}");
        Assert.True(sign * Moved(0.04f) >= 0);
    }

    [Fact]
    public void Slowly_moves_less_than_normally_and_fast_more()
    {
        float Zoom(CameraPace pace)
        {
            var (g, scene) = Setup(CameraMotion.PushIn, pace);
            return SceneCamera.At(scene, g, 47, 48).Zoom;
        }

        Assert.True(Zoom(CameraPace.Slow) < Zoom(CameraPace.Normal));
        Assert.True(Zoom(CameraPace.Normal) < Zoom(CameraPace.Fast));
        Assert.True(Zoom(CameraPace.Slow) > 1.1f);
    }

    [Fact]
    public void A_static_camera_does_not_move_and_a_handheld_one_wanders()
    {
        var (g, still) = Setup(CameraMotion.Static, CameraPace.Normal);
        var (_, held) = Setup(CameraMotion.Handheld, CameraPace.Normal);

        Assert.All(Enumerable.Range(0, 48), f => Assert.Equal(SceneCamera.At(still, g, 0, 48), SceneCamera.At(still, g, f, 48)));
        var xs = Enumerable.Range(0, 48).Select(f => SceneCamera.At(held, g, f, 48).ShakeX).ToList();
        Assert.True(xs.Max() - xs.Min() > 5, "a handheld camera should wander a few pixels");
    }

    private static (SceneGeometry, Scene) Setup(CameraMotion motion, CameraPace pace) =>
        (new SceneGeometry(1280, 720), new Scene(Setting.Landscape, TimeOfDay.Day, SceneElements.None, SceneStyle.None, motion, pace, 7));
}
