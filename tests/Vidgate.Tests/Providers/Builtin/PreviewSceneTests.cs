using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Vidgate.Server.Providers.Builtin;

namespace Vidgate.Tests.Providers.Builtin;

/// <summary>
/// What a viewer sees in a text scene, measured on frames read back from the rendered MP4 with ffmpeg (small greyscale
/// or RGB frames; no pixel hashes): light, camera direction, travel, and that the prompt decides the picture.
/// </summary>
public sealed class PreviewSceneTests : IDisposable
{
    // Frames are read back at this size: enough to measure shifts and zooms, small enough to compare fast.
    private const int W = 192;
    private const int H = 108;

    private readonly string _root = Directory.CreateTempSubdirectory("vidgate-scene-").FullName;
    private int _jobs;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Night_is_darker_than_noon_in_the_same_setting()
    {
        var noon = Luma(await Frame(await Render("a city street at noon, static shot"), 12));
        var night = Luma(await Frame(await Render("a city street at night, static shot"), 12));

        Assert.True(noon.Average() > 90, $"noon mean luma {noon.Average():0.0}");
        Assert.True(night.Average() < noon.Average() * 0.55, $"night {night.Average():0.0} vs noon {noon.Average():0.0}");
    }

    [Fact]
    public async Task Pan_left_and_pan_right_shift_the_picture_in_opposite_directions()
    {
        var left = await Render("a forest by a lake with mountains, pan left");
        var right = await Render("a forest by a lake with mountains, pan right");

        var leftShift = Shift(Luma(await Frame(left, 0)), Luma(await Frame(left, 23)));
        var rightShift = Shift(Luma(await Frame(right, 0)), Luma(await Frame(right, 23)));

        // Turning the camera left slides what it sees to the right, and the other way round.
        Assert.True(leftShift >= 4, $"pan left shifted the picture by {leftShift} px of {W}");
        Assert.True(rightShift <= -4, $"pan right shifted the picture by {rightShift} px of {W}");
    }

    [Fact]
    public async Task A_static_camera_keeps_the_picture_where_it_is()
    {
        var video = await Render("a meadow with trees, static shot");

        Assert.InRange(Shift(Luma(await Frame(video, 0)), Luma(await Frame(video, 23))), -1, 1);
    }

    [Fact]
    public async Task Moving_forward_magnifies_the_centre_and_pulling_back_shrinks_it()
    {
        var forward = await Render("a city street, camera moving forward");
        var back = await Render("a city street, camera pulls back, pull back");

        var grow = Zoom(Luma(await Frame(forward, 0)), Luma(await Frame(forward, 23)));
        var shrink = Zoom(Luma(await Frame(back, 0)), Luma(await Frame(back, 23)));

        Assert.True(grow >= 1.08, $"moving forward magnified the centre {grow:0.00}x");
        Assert.True(shrink <= 0.95, $"pulling back magnified the centre {shrink:0.00}x");
    }

    [Fact]
    public async Task The_seed_prompt_and_its_chinese_twin_look_alike_and_a_snowy_mountain_at_dusk_does_not()
    {
        var english = Histogram(await Frame(await Render("A city street in the early morning, sunlight filtering through leaves, camera slowly moving forward"), 12));
        var chinese = Histogram(await Frame(await Render("清晨的城市街道，阳光透过树叶，镜头缓缓向前"), 12));
        var mountain = Histogram(await Frame(await Render("a snowy mountain at dusk"), 12));

        var twins = Distance(english, chinese);
        var apart = Distance(english, mountain);
        Assert.True(twins < 0.5, $"seed vs Chinese twin: histogram distance {twins:0.00}");
        Assert.True(apart > twins * 2.5, $"seed vs snowy mountain at dusk {apart:0.00}, twins {twins:0.00}");
    }

    [Fact]
    public async Task The_same_prompt_renders_the_same_frames()
    {
        const string prompt = "a beach at sunset with birds, handheld";

        var a = await Frame(await Render(prompt), 17);
        var b = await Frame(await Render(prompt), 17);

        Assert.True(a.Zip(b, (x, y) => Math.Abs(x - y)).Average() < 0.5, "two renders of one prompt differ");
    }

    [Fact]
    public async Task The_preview_label_marks_the_corner_and_can_be_turned_off()
    {
        const string prompt = "a calm lake at noon, static shot";

        var on = Luma(await Frame(await Render(prompt), 5, width: 1280, height: 720));
        var off = Luma(await Frame(await Render(prompt, new BuiltinOptions { PreviewLabel = false }), 5, width: 1280, height: 720));

        // The tag sits in the bottom-right corner of a 1280x720 frame; everything else is the same picture.
        Assert.True(MeanDiff(on, off, 1130, 660, 1275, 715, 1280) > 12, "no label in the bottom-right corner");
        Assert.True(MeanDiff(on, off, 0, 0, 1000, 600, 1280) < 1, "the label changed more than its corner");
    }

    [Fact]
    public async Task Thumbnail_is_the_middle_frame_and_the_spritesheet_the_clip_in_order()
    {
        // A pan moves the picture from frame to frame, so a preview made from the wrong frame shows.
        var output = await RenderAll("a forest by a lake with mountains, fast pan right");
        var first = Luma(await Frame(output.VideoPath, 0));
        var middle = Luma(await Frame(output.VideoPath, 12));
        var last = Luma(await Frame(output.VideoPath, 23));

        var thumbnail = Luma(await Frame(output.ThumbnailPath, 0));
        Assert.True(MeanDiff(thumbnail, middle, 0, 0, W, H, W) < 4, $"thumbnail vs middle frame {MeanDiff(thumbnail, middle, 0, 0, W, H, W):0.0}");
        Assert.True(MeanDiff(thumbnail, middle, 0, 0, W, H, W) < MeanDiff(thumbnail, first, 0, 0, W, H, W) / 2, "the thumbnail is not the middle frame");

        // 24 frames: every frame is a cell, in order (5 columns of 160×90), the 25th cell empty.
        var cell0 = Luma(await Frame(output.SpritesheetPath, 0, crop: "160:90:0:0"));
        var cell23 = Luma(await Frame(output.SpritesheetPath, 0, crop: "160:90:480:360"));
        var cell24 = Luma(await Frame(output.SpritesheetPath, 0, crop: "160:90:640:360"));
        Assert.True(MeanDiff(cell0, first, 0, 0, W, H, W) < MeanDiff(cell0, last, 0, 0, W, H, W) / 2, "the first cell is not the first frame");
        Assert.True(MeanDiff(cell23, last, 0, 0, W, H, W) < MeanDiff(cell23, first, 0, 0, W, H, W) / 2, "the 24th cell is not the last frame");
        Assert.True(cell24.Average() < 2, $"the 25th cell of a 24-frame clip should be empty, mean luma {cell24.Average():0.0}");
    }

    private async Task<string> Render(string prompt, BuiltinOptions? options = null) => (await RenderAll(prompt, options)).VideoPath;

    private async Task<RenderOutput> RenderAll(string prompt, BuiltinOptions? options = null)
    {
        options ??= new BuiltinOptions();
        var work = Directory.CreateDirectory(Path.Combine(_root, $"job{Interlocked.Increment(ref _jobs)}")).FullName;
        var renderer = new BuiltinRenderer(
            new FfmpegRunner(Options.Create(options), NullLogger<FfmpegRunner>.Instance), Options.Create(options),
            NullLogger<BuiltinRenderer>.Instance, TimeProvider.System);
        return await renderer.RenderAsync(new RenderJob("test", prompt, 1280, 720, 1, [], work), _ => { }, Ct);
    }

    /// <summary>
    /// One frame of the video (or an image), cropped first to <paramref name="crop"/> (ffmpeg's w:h:x:y) if given, scaled to
    /// <paramref name="width"/>×<paramref name="height"/>, as RGB24 bytes.
    /// </summary>
    private static async Task<byte[]> Frame(string video, int frame, int width = W, int height = H, string? crop = null)
    {
        var filter = $"select=eq(n\\,{frame}),{(crop is null ? "" : $"crop={crop},")}scale={width}:{height}:flags=area";
        var start = new ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])["-v", "error", "-i", video, "-vf", filter, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        using var stdout = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(stdout, Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        await copy;
        Assert.True(process.ExitCode == 0, await stderr);
        Assert.Equal(width * height * 3, stdout.Length);
        return stdout.ToArray();
    }

    private static double[] Luma(byte[] rgb)
    {
        var luma = new double[rgb.Length / 3];
        for (var i = 0; i < luma.Length; i++)
        {
            luma[i] = (0.299 * rgb[3 * i]) + (0.587 * rgb[(3 * i) + 1]) + (0.114 * rgb[(3 * i) + 2]);
        }
        return luma;
    }

    /// <summary>
    /// The horizontal shift s (pixels) that best maps <paramref name="a"/> onto <paramref name="b"/> (b[x + s] ≈ a[x]),
    /// over the middle rows (the corner label and the far sky left out).
    /// </summary>
    private static int Shift(double[] a, double[] b)
    {
        var best = (Shift: 0, Error: double.MaxValue);
        for (var s = -W / 3; s <= W / 3; s++)
        {
            double error = 0;
            var n = 0;
            for (var y = H / 3; y < H * 7 / 8; y++)
            {
                for (var x = Math.Max(0, -s); x < Math.Min(W, W - s); x++)
                {
                    error += Math.Abs(a[(y * W) + x] - b[(y * W) + x + s]);
                    n++;
                }
            }
            if (error / n < best.Error)
            {
                best = (s, error / n);
            }
        }
        return best.Shift;
    }

    /// <summary>
    /// The magnification k (about the vanishing point, 0.55 of the height) that best maps <paramref name="a"/> onto
    /// <paramref name="b"/>: b(p) ≈ a(centre + (p - centre) / k), compared over the central part of the frame.
    /// </summary>
    private static double Zoom(double[] a, double[] b)
    {
        var (cx, cy) = (W / 2.0, H * 0.55);
        var best = (Zoom: 1.0, Error: double.MaxValue);
        for (var k = 0.6; k <= 1.8; k += 0.01)
        {
            double error = 0;
            var n = 0;
            for (var y = H / 5; y < H * 4 / 5; y++)
            {
                for (var x = W / 5; x < W * 4 / 5; x++)
                {
                    var (sx, sy) = (cx + ((x - cx) / k), cy + ((y - cy) / k));
                    if (sx < 0 || sy < 0 || sx > W - 2 || sy > H - 2)
                    {
                        continue;
                    }
                    error += Math.Abs(b[(y * W) + x] - Sample(a, sx, sy));
                    n++;
                }
            }
            if (n > 0 && error / n < best.Error)
            {
                best = (k, error / n);
            }
        }
        return best.Zoom;
    }

    private static double Sample(double[] image, double x, double y)
    {
        var (x0, y0) = ((int)x, (int)y);
        var (fx, fy) = (x - x0, y - y0);
        var top = (image[(y0 * W) + x0] * (1 - fx)) + (image[(y0 * W) + x0 + 1] * fx);
        var bottom = (image[((y0 + 1) * W) + x0] * (1 - fx)) + (image[((y0 + 1) * W) + x0 + 1] * fx);
        return (top * (1 - fy)) + (bottom * fy);
    }

    /// <summary>A normalised 4×4×4 RGB histogram.</summary>
    private static double[] Histogram(byte[] rgb)
    {
        var bins = new double[64];
        for (var i = 0; i < rgb.Length; i += 3)
        {
            bins[((rgb[i] >> 6) * 16) + ((rgb[i + 1] >> 6) * 4) + (rgb[i + 2] >> 6)]++;
        }
        var total = rgb.Length / 3.0;
        return [.. bins.Select(b => b / total)];
    }

    /// <summary>L1 distance of two normalised histograms: 0 same colours, 2 nothing in common.</summary>
    private static double Distance(double[] a, double[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Sum();

    private static double MeanDiff(double[] a, double[] b, int x0, int y0, int x1, int y1, int width)
    {
        double sum = 0;
        var n = 0;
        for (var y = y0; y < y1; y++)
        {
            for (var x = x0; x < x1; x++)
            {
                sum += Math.Abs(a[(y * width) + x] - b[(y * width) + x]);
                n++;
            }
        }
        return sum / n;
    }
}
