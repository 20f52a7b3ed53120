using System.Globalization;
using Microsoft.Extensions.Options;

namespace Vidgate.Server.Providers.Builtin;

/// <summary>What to render: everything is already validated and normalised.</summary>
/// <param name="TaskId">For logs only.</param>
/// <param name="Prompt">User text: chooses palette and camera motion; never placed in a filter graph.</param>
/// <param name="Width">Exact output width (even).</param>
/// <param name="Height">Exact output height (even).</param>
/// <param name="Seconds">Duration; frame count = Seconds × 24.</param>
/// <param name="ImagePaths">0..7 local files (PNG, JPEG or WebP, already checked).</param>
/// <param name="WorkDirectory">An empty folder owned by this render; outputs go here.</param>
internal sealed record RenderJob(
    string TaskId, string Prompt, int Width, int Height, int Seconds,
    IReadOnlyList<string> ImagePaths, string WorkDirectory);

internal sealed record RenderOutput(string VideoPath, string ThumbnailPath, string SpritesheetPath);

/// <summary>ffmpeg failed; the message is the tail of its stderr.</summary>
internal sealed class RenderFailedException(string message) : Exception(message);

/// <summary>
/// The builtin preview renderer: prompt (and optional images) → H.264 MP4, WebP thumbnail, JPEG spritesheet.
/// It is a preview renderer, not a generative model: the scene is procedural, the images are only moved.
/// </summary>
internal sealed partial class BuiltinRenderer(
    FfmpegRunner ffmpeg, IOptions<BuiltinOptions> options, ILogger<BuiltinRenderer> logger, TimeProvider time)
{
    public const string VideoFile = "video.mp4";
    public const string ThumbnailFile = "thumbnail.webp";
    public const string SpritesheetFile = "spritesheet.jpg";

    // The preview frames of the encode run (see SceneGraph.Previews): thumbnail 1 is frame 0, 2 the middle frame.
    private const string ThumbnailFrames = "thumbnail-%d.webp";
    private const string MiddleFrame = "thumbnail-2.webp";
    private const string SheetFrames = "sheet-%02d.jpg";
    private const string LabelFile = "label.png";

    // Encoding is reported as 0..95; the previews take the last step to 99 (the caller sets 100 when stored).
    private const int EncodeProgressMax = 95;

    public async Task<RenderOutput> RenderAsync(RenderJob job, Action<int> onProgress, CancellationToken ct)
    {
        var timeout = options.Value.RenderTimeout;
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        var started = time.GetTimestamp();
        var plan = ScenePlanner.Plan(job.Prompt);
        var frames = job.Seconds * BuiltinOptions.Fps;
        Log.Rendering(logger, job.TaskId, job.Width, job.Height, frames, job.ImagePaths.Count, plan.Motion);

        try
        {
            var progress = new ProgressReporter(onProgress, frames);
            var output = new RenderOutput(
                Path.Combine(job.WorkDirectory, VideoFile),
                Path.Combine(job.WorkDirectory, ThumbnailFile),
                Path.Combine(job.WorkDirectory, SpritesheetFile));

            if (job.ImagePaths.Count == 0)
            {
                await RenderSceneAsync(job, frames, output, progress, linked.Token);
            }
            else
            {
                await RenderImagesAsync(job, plan, frames, output, progress, linked.Token);
            }

            progress.Report(99);

            Log.Rendered(logger, job.TaskId, time.GetElapsedTime(started).TotalSeconds);
            return output;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new RenderFailedException($"render timed out after {timeout}");
        }
    }

    /// <summary>
    /// A text scene: drawn here and piped in as raw frames while ffmpeg scales up and encodes the earlier ones; the
    /// previews are made from the drawn frames on their way (<see cref="ScenePreviews"/>), so ffmpeg only encodes.
    /// </summary>
    private async Task RenderSceneAsync(RenderJob job, int frames, RenderOutput output, ProgressReporter progress, CancellationToken ct)
    {
        using var previews = new ScenePreviews(job.Width, job.Height, frames, output.ThumbnailPath, output.SpritesheetPath);
        var encoded = await ffmpeg.RunAsync(
            [
                "-y", "-f", "rawvideo", "-pix_fmt", SceneFrames.PixelFormat, "-s", $"{Number(DrawSize(job.Width))}x{Number(DrawSize(job.Height))}",
                "-r", Number(BuiltinOptions.Fps), "-i", "pipe:0",
                "-vf", $"scale={Number(job.Width)}:{Number(job.Height)}:flags=bilinear",
                "-an", "-sn", "-frames:v", Number(frames),
                "-c:v", "libx264", "-preset", options.Value.Preset, "-pix_fmt", "yuv420p", "-r", Number(BuiltinOptions.Fps),
                "-movflags", "+faststart", output.VideoPath,
            ],
            (stdin, token) =>
            {
                using var scene = new SceneFrames(SceneReader.Read(job.Prompt), DrawSize(job.Width), DrawSize(job.Height), frames, options.Value.PreviewLabel);
                scene.Write(stdin, previews, token);
            },
            progress.OnFrame, ct);
        // ffmpeg can exit 0 after a broken input and write nothing; the frame count tells.
        if (encoded.Frames != frames)
        {
            throw new RenderFailedException($"ffmpeg wrote {encoded.Frames} of {frames} frames: {encoded.StderrTail}");
        }

        await previews.FinishAsync();
    }

    /// <summary>Reference images: one ffmpeg run moves them and writes the video and the preview frames, then one tiles the sheet.</summary>
    private async Task RenderImagesAsync(RenderJob job, ScenePlan plan, int frames, RenderOutput output, ProgressReporter progress, CancellationToken ct)
    {
        // One ffmpeg run writes the video and the preview frames: decoding the video again would cost a third more.
        var encoded = await ffmpeg.RunAsync(EncodeArguments(job, plan, frames, output), progress.OnFrame, ct);
        var middleFrame = Path.Combine(job.WorkDirectory, MiddleFrame);
        // ffmpeg can exit 0 after an undecodable input and write nothing; the frame count tells.
        if (encoded.Frames != frames || !File.Exists(middleFrame))
        {
            throw new RenderFailedException($"ffmpeg wrote {encoded.Frames} of {frames} frames: {encoded.StderrTail}");
        }

        File.Move(middleFrame, output.ThumbnailPath, overwrite: true);
        var tiled = await ffmpeg.RunAsync(
            ["-y", "-framerate", "1", "-i", Path.Combine(job.WorkDirectory, SheetFrames), "-vf", SceneGraph.SheetTile,
             "-frames:v", "1", "-q:v", "4", output.SpritesheetPath],
            null, ct);
        if (!File.Exists(output.SpritesheetPath))
        {
            throw new RenderFailedException($"ffmpeg wrote no spritesheet: {tiled.StderrTail}");
        }
    }

    private List<string> EncodeArguments(RenderJob job, ScenePlan plan, int frames, RenderOutput output)
    {
        var args = new List<string> { "-y" };
        foreach (var image in job.ImagePaths)
        {
            args.AddRange(["-framerate", "24", "-i", image]);
        }
        var graph = SceneGraph.Images(plan.Motion, job.Width, job.Height, frames, job.ImagePaths.Count);
        if (options.Value.PreviewLabel)
        {
            // The same tag as on text scenes, drawn by us into the work folder and laid over the moving images.
            var label = Path.Combine(job.WorkDirectory, LabelFile);
            var at = WriteLabel(label, job.Width, job.Height);
            args.AddRange(["-i", label]);
            graph = graph[..^3] + $"[u];[u][{Number(job.ImagePaths.Count)}:v]overlay={Number(at.X)}:{Number(at.Y)}:format=auto,format=yuv420p[v]";
        }
        // The segments loop their images for ever: the trim ends every output of the graph at the clip's last frame
        // (an output cut only by its own -frames:v would leave the preview outputs waiting for frames that never come).
        graph += $";[v]trim=end_frame={Number(frames)},split=2[video][pv];" + SceneGraph.Previews(frames, "[pv]");
        args.AddRange([
            "-filter_complex", graph,
            "-map", "[video]", "-an", "-sn", "-frames:v", Number(frames),
            "-c:v", "libx264", "-preset", options.Value.Preset, "-pix_fmt", "yuv420p", "-r", Number(BuiltinOptions.Fps),
            "-movflags", "+faststart", output.VideoPath,
            // Image sequences, frame timestamps kept (no duplicated frames to fill the gaps between selected ones).
            "-map", "[thumb]", "-frames:v", "2", "-fps_mode", "passthrough", "-c:v", "libwebp", "-quality", "80", "-f", "image2",
            Path.Combine(job.WorkDirectory, ThumbnailFrames),
            "-map", "[sheet]", "-frames:v", "25", "-fps_mode", "passthrough", "-q:v", "4", "-f", "image2",
            Path.Combine(job.WorkDirectory, SheetFrames),
        ]);
        return args;
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    // Scenes are drawn at half size and scaled up by ffmpeg: the drawing competes with x264 for the same cores.
    private static int DrawSize(int size) => Math.Max(2, size / 2 / 2 * 2);

    private static (int X, int Y) WriteLabel(string path, int width, int height)
    {
        using var label = PreviewLabel.Create(Math.Min(width, height));
        using var png = label.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        using (var file = File.Create(path))
        {
            png.SaveTo(file);
        }
        var at = PreviewLabel.Position(label, width, height);
        return ((int)at.X, (int)at.Y);
    }

    /// <summary>Maps frame counts to 0..95, reporting only increases.</summary>
    private sealed class ProgressReporter(Action<int> onProgress, int frames)
    {
        private int _last = -1;

        public void OnFrame(long frame) => Report((int)Math.Min(EncodeProgressMax, frame * EncodeProgressMax / frames));

        public void Report(int percent)
        {
            if (percent > _last)
            {
                _last = percent;
                onProgress(percent);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Rendering {TaskId}: {Width}x{Height}, {Frames} frames, {Images} images, camera {Motion}")]
        public static partial void Rendering(ILogger logger, string taskId, int width, int height, int frames, int images, CameraMotion motion);

        [LoggerMessage(Level = LogLevel.Information, Message = "Rendered {TaskId} in {Seconds:0.00} s")]
        public static partial void Rendered(ILogger logger, string taskId, double seconds);
    }
}
