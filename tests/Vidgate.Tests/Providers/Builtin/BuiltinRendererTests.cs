using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Vidgate.Server.Providers.Builtin;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Providers.Builtin;

/// <summary>Real ffmpeg, real files. Clips are 1–2 s so the class stays fast; one test renders the full 8 s at 720p.</summary>
public sealed class BuiltinRendererTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("vidgate-render-").FullName;
    private int _jobs;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Text_prompt_renders_exact_720p_h264()
    {
        var output = await Render("a golden sunset over the sea, moving forward", 1280, 720, 2);

        var probe = await Ffprobe.ProbeAsync(output.VideoPath, Ct);
        Assert.Equal("h264", probe.CodecName);
        Assert.Equal("yuv420p", probe.PixelFormat);
        Assert.Equal((1280, 720), (probe.Width, probe.Height));
        Assert.Equal(48, probe.Frames);
        Assert.Equal(24, probe.FrameRate, 3);
        Assert.InRange(probe.DurationSeconds, 1.95, 2.05);
    }

    [Fact]
    public async Task Full_length_720p_render_has_every_frame()
    {
        var output = await Render("city lights at night", 1280, 720, 8);

        var probe = await Ffprobe.ProbeAsync(output.VideoPath, Ct);
        Assert.Equal((1280, 720, 192), (probe.Width, probe.Height, probe.Frames));
        Assert.InRange(probe.DurationSeconds, 7.95, 8.05);
    }

    [Theory]
    [InlineData(854, 480)]
    [InlineData(720, 1280)]
    [InlineData(1600, 720)]
    [InlineData(1920, 480)]
    public async Task Any_even_size_renders_exactly(int width, int height)
    {
        var output = await Render("forest clearing", width, height, 1);

        var probe = await Ffprobe.ProbeAsync(output.VideoPath, Ct);
        Assert.Equal((width, height, 24), (probe.Width, probe.Height, probe.Frames));
    }

    [Theory]
    [InlineData("static shot")]
    [InlineData("push in")]
    [InlineData("zoom out")]
    [InlineData("pan left")]
    [InlineData("pan right")]
    [InlineData("tilt up")]
    [InlineData("tilt down")]
    [InlineData("orbit")]
    public async Task Every_camera_motion_renders_exactly(string prompt)
    {
        var output = await Render(prompt, 426, 240, 1);

        var probe = await Ffprobe.ProbeAsync(output.VideoPath, Ct);
        Assert.Equal((426, 240, 24), (probe.Width, probe.Height, probe.Frames));
    }

    [Fact]
    public async Task One_image_is_cover_fitted_and_animated()
    {
        var image = await MakeImage("testsrc2=size=480x640", "portrait.png");

        var output = await Render("pan right", 854, 480, 2, image);

        var probe = await Ffprobe.ProbeAsync(output.VideoPath, Ct);
        Assert.Equal((854, 480, 48), (probe.Width, probe.Height, probe.Frames));
        Assert.NotEqual(await Colour(output.VideoPath, 0, 32), await Colour(output.VideoPath, 47, 32));
    }

    [Fact]
    public async Task Several_images_are_joined_by_crossfades_with_exact_frames()
    {
        string[] images =
        [
            await MakeImage("color=c=red:size=640x360", "red.png"),
            await MakeImage("color=c=lime:size=360x640", "green.jpg"),
            await MakeImage("color=c=blue:size=500x500", "blue.webp"),
        ];

        var output = await Render("static", 640, 360, 2, images);

        var probe = await Ffprobe.ProbeAsync(output.VideoPath, Ct);
        Assert.Equal((640, 360, 48), (probe.Width, probe.Height, probe.Frames));
        AssertDominant(await Colour(output.VideoPath, 0), 0);
        AssertDominant(await Colour(output.VideoPath, 24), 1);
        AssertDominant(await Colour(output.VideoPath, 47), 2);
    }

    [Theory]
    [InlineData("color=c=red:s=16x16,scale=1:1", "", "dot.png")]
    [InlineData("testsrc2=size=4000x4", "", "wide-strip.png")]
    [InlineData("testsrc2=size=4x3000", "", "tall-strip.jpg")]
    [InlineData("testsrc2=size=333x777", "", "odd.jpg")]
    [InlineData("color=c=red@0.3:size=320x240,format=rgba", "", "translucent.png")]
    [InlineData("testsrc2=size=320x240", "gray", "grey.jpg")]
    [InlineData("testsrc2=size=320x240", "rgb48be", "deep.png")]
    [InlineData("testsrc2=size=320x240", "yuva420p", "alpha.webp")]
    public async Task Awkward_but_valid_images_render_at_the_exact_size_and_length(string source, string pixelFormat, string name)
    {
        var image = Path.Combine(_root, name);
        string[] format = pixelFormat.Length > 0 ? ["-pix_fmt", pixelFormat] : [];
        await RunFfmpeg(["-v", "error", "-y", "-f", "lavfi", "-i", source, .. format, "-frames:v", "1", image]);

        var output = await Render("push in", 426, 240, 1, [image, image]);

        var probe = await Ffprobe.ProbeAsync(output.VideoPath, Ct);
        Assert.Equal((426, 240, 24), (probe.Width, probe.Height, probe.Frames));
    }

    [Fact]
    public async Task Seven_images_in_one_second_still_have_exact_frames()
    {
        var images = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            images.Add(await MakeImage($"testsrc2=size={320 + (i * 40)}x240", $"i{i}.png"));
        }

        var output = await Render("orbit", 426, 240, 1, [.. images]);

        Assert.Equal(24, (await Ffprobe.ProbeAsync(output.VideoPath, Ct)).Frames);
    }

    [Fact]
    public async Task Thumbnail_is_webp_and_spritesheet_is_jpeg()
    {
        var output = await Render("snow falling", 640, 360, 1);

        var webp = await File.ReadAllBytesAsync(output.ThumbnailPath, Ct);
        Assert.Equal("RIFF"u8.ToArray(), webp[..4]);
        Assert.Equal("WEBP"u8.ToArray(), webp[8..12]);
        var jpeg = await File.ReadAllBytesAsync(output.SpritesheetPath, Ct);
        Assert.Equal(new byte[] { 0xFF, 0xD8, 0xFF }, jpeg[..3]);
        var thumb = await Ffprobe.ProbeAsync(output.ThumbnailPath, Ct);
        Assert.Equal((640, 360), (thumb.Width, thumb.Height));
        var sheet = await Ffprobe.ProbeAsync(output.SpritesheetPath, Ct);
        Assert.Equal((800, 450), (sheet.Width, sheet.Height));
    }

    [Theory]
    [InlineData(720, 1280, 720, 1280, 800, 1420)]
    [InlineData(1920, 1080, 1280, 720, 800, 450)]
    [InlineData(426, 240, 426, 240, 800, 450)]
    public async Task Previews_keep_their_sizes_for_any_frame(int width, int height, int thumbWidth, int thumbHeight, int sheetWidth, int sheetHeight)
    {
        // The sizes ffmpeg's scale='min(1280,iw)':-2 and scale=160:-2 with tile=5x5 gave: clients lay their players out by them.
        var output = await Render("a beach at sunset, pan left", width, height, 1);

        var thumb = await Ffprobe.ProbeAsync(output.ThumbnailPath, Ct);
        Assert.Equal((thumbWidth, thumbHeight), (thumb.Width, thumb.Height));
        var sheet = await Ffprobe.ProbeAsync(output.SpritesheetPath, Ct);
        Assert.Equal((sheetWidth, sheetHeight), (sheet.Width, sheet.Height));
    }

    [Fact]
    public async Task Prompt_full_of_shell_and_filter_metacharacters_renders()
    {
        const string prompt = "it's a 'test': a;b [in][out] x,y=1 %{pts} \\n $(rm -rf /) `id` \"q\" \n second line\r\n\t|& > <";

        var output = await Render(prompt, 426, 240, 1);

        Assert.Equal(24, (await Ffprobe.ProbeAsync(output.VideoPath, Ct)).Frames);
    }

    [Fact]
    public async Task Progress_rises_monotonically_to_99()
    {
        var seen = new List<int>();

        await Render("ocean waves", 426, 240, 2, onProgress: p => { lock (seen) { seen.Add(p); } });

        Assert.NotEmpty(seen);
        Assert.All(seen, p => Assert.InRange(p, 0, 99));
        Assert.Equal(seen.Order(), seen);
        Assert.Equal(seen.Distinct().Count(), seen.Count);
        Assert.Equal(99, seen[^1]);
        Assert.True(seen.Count > 2, "progress should be reported while encoding, not only at the end");
    }

    [Fact]
    public async Task Cancellation_stops_quickly_and_leaves_no_ffmpeg_running()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var render = Render("a long drone flight, moving forward", 1280, 720, 60, cts: cts);
        var pid = await WaitForChildFfmpeg();

        var clock = Stopwatch.StartNew();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => render);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"cancellation took {clock.Elapsed}");
        Assert.False(IsRunning(pid), $"ffmpeg pid {pid} is still running");
        Assert.Empty(ChildFfmpegPids());
    }

    [Fact]
    public async Task Render_past_its_timeout_fails_clearly()
    {
        var options = new BuiltinOptions { RenderTimeout = TimeSpan.FromMilliseconds(300) };

        var e = await Assert.ThrowsAsync<RenderFailedException>(
            () => Render("slow", 1280, 720, 60, options: options));

        Assert.StartsWith("render timed out after", e.Message, StringComparison.Ordinal);
        Assert.Empty(ChildFfmpegPids());
    }

    [Fact]
    public async Task Corrupt_image_fails_with_ffmpeg_stderr()
    {
        var good = await File.ReadAllBytesAsync(await MakeImage("testsrc2=size=320x240", "good.png"), Ct);
        var corrupt = Path.Combine(_root, "corrupt.png");
        await File.WriteAllBytesAsync(corrupt, good[..60], Ct);

        var e = await Assert.ThrowsAsync<RenderFailedException>(() => Render("push in", 426, 240, 1, corrupt));

        Assert.Contains("png", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\n", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_ffmpeg_fails_clearly_and_probes_as_not_ready()
    {
        var options = new BuiltinOptions { FfmpegPath = "/nonexistent/ffmpeg" };

        var e = await Assert.ThrowsAsync<RenderFailedException>(() => Render("x", 426, 240, 1, options: options));
        Assert.Contains("could not be started", e.Message, StringComparison.Ordinal);
        Assert.Null(await Runner(options).ProbeVersionAsync(Ct));
    }

    [Fact]
    public async Task Version_probe_reads_the_first_line() =>
        Assert.StartsWith("ffmpeg version", await Runner(new BuiltinOptions()).ProbeVersionAsync(Ct), StringComparison.Ordinal);

    private async Task<RenderOutput> Render(
        string prompt, int width, int height, int seconds, params string[] images) =>
        await Render(prompt, width, height, seconds, images, null, null, null);

    private async Task<RenderOutput> Render(
        string prompt, int width, int height, int seconds, string[]? images = null,
        Action<int>? onProgress = null, CancellationTokenSource? cts = null, BuiltinOptions? options = null)
    {
        options ??= new BuiltinOptions();
        var work = Directory.CreateDirectory(Path.Combine(_root, $"job{Interlocked.Increment(ref _jobs)}")).FullName;
        var renderer = new BuiltinRenderer(
            Runner(options), Options.Create(options), NullLogger<BuiltinRenderer>.Instance, TimeProvider.System);
        var job = new RenderJob("test", prompt, width, height, seconds, images ?? [], work);
        return await renderer.RenderAsync(job, onProgress ?? (_ => { }), cts?.Token ?? Ct);
    }

    private static FfmpegRunner Runner(BuiltinOptions options) =>
        new(Options.Create(options), NullLogger<FfmpegRunner>.Instance);

    private async Task<string> MakeImage(string source, string name)
    {
        var path = Path.Combine(_root, name);
        await RunFfmpeg(["-v", "error", "-y", "-f", "lavfi", "-i", source, "-frames:v", "1", path]);
        return path;
    }

    /// <summary>Average RGB of one frame (the centre <paramref name="crop"/>%, or all of it).</summary>
    private static async Task<byte[]> Colour(string video, int frame, int crop = 100)
    {
        var filter = $"select=eq(n\\,{frame}),crop=iw*{crop}/100:ih*{crop}/100,scale=1:1:flags=area";
        return await RunFfmpeg(["-v", "error", "-i", video, "-vf", filter, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]);
    }

    private static void AssertDominant(byte[] rgb, int channel) =>
        Assert.True(rgb[channel] > 150 && rgb.Where((_, i) => i != channel).All(v => v < 100),
            $"expected channel {channel} to dominate, got {string.Join(',', rgb)}");

    private static async Task<byte[]> RunFfmpeg(string[] args)
    {
        var start = new ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
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
        return stdout.ToArray();
    }

    private async Task<int> WaitForChildFfmpeg()
    {
        for (var i = 0; i < 500; i++)
        {
            if (ChildFfmpegPids().FirstOrDefault() is > 0 and var pid)
            {
                return pid;
            }
            await Task.Delay(10, Ct);
        }
        throw new TimeoutException("no ffmpeg child process appeared");
    }

    // Children of this test process named ffmpeg, from /proc/<pid>/stat: "pid (comm) state ppid ...", working in this
    // class's folder: renders of other test classes run in the same process at the same time and must not count.
    private List<int> ChildFfmpegPids()
    {
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var close = stat.LastIndexOf(')');
                var fields = stat[(close + 2)..].Split(' ');
                if (stat.Contains("(ffmpeg)", StringComparison.Ordinal)
                    && int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) == Environment.ProcessId
                    && fields[0] != "Z"
                    && File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(_root, StringComparison.Ordinal))
                {
                    pids.Add(pid);
                }
            }
            catch (IOException)
            {
                // The process exited while we looked.
            }
        }
        return pids;
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }
}
