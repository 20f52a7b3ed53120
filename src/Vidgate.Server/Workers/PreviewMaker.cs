using System.Globalization;
using Microsoft.Extensions.Options;
using Vidgate.Server.Providers;
using Vidgate.Server.Providers.Builtin;
using Vidgate.Server.Storage;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Workers;

/// <summary>
/// Makes the thumbnail (WebP, middle frame) and the 5×5 spritesheet (JPEG) of remote results with one ffmpeg run each,
/// <see cref="UpstreamOptions.PreviewConcurrency"/> at a time. It runs after the task is completed (the video is what the
/// caller waits for; the previews follow within a second or two), so a burst of completions queues here instead of
/// delaying <c>completed</c>. Its work comes from the <see cref="PreviewQueue"/> (filled by the finisher), in memory:
/// previews lost to a crash are simply missing (404 on that variant). The builtin renderer makes its own previews in its
/// encode run, so local results never come here.
/// </summary>
internal sealed partial class PreviewMaker(
    FfmpegRunner ffmpeg, IBlobStore blobs, ITaskStore store, PreviewQueue queue, IOptions<UpstreamOptions> options, ILogger<PreviewMaker> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
        => Task.WhenAll(Enumerable.Range(0, options.Value.PreviewConcurrency).Select(_ => LoopAsync(stoppingToken)));

    private async Task LoopAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var job in queue.ReadAllAsync(ct))
            {
                try
                {
                    await MakeAsync(job, ct);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.Failed(logger, job.TaskId, ex.Message);
                }
                finally
                {
                    WorkFolders.TryDelete(job.WorkFolder);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    public async Task MakeAsync(PreviewJob job, CancellationToken ct)
    {
        // From the store, not a local copy: the video may have been stored on another node (or in S3).
        var folder = job.WorkFolder;
        Directory.CreateDirectory(folder);
        var video = Path.Combine(folder, "source.mp4");
        await blobs.CopyToFileAsync(TaskBlobs.Video(job.TaskId), video, ct);
        var thumbnail = Path.Combine(folder, "thumbnail.webp");
        var sheet = Path.Combine(folder, "spritesheet.jpg");
        var seconds = job.Duration is { TotalSeconds: > 0.1 } d ? d.TotalSeconds : 5;
        var middle = (seconds / 2).ToString("0.###", CultureInfo.InvariantCulture);
        var rate = (25 / seconds).ToString("0.####", CultureInfo.InvariantCulture);
        await ffmpeg.RunAsync(
        [
            "-y", "-i", video,
            "-filter_complex",
            $"[0:v]split=2[a][b];[a]trim=start={middle},setpts=PTS-STARTPTS,scale='min(1280,iw)':-2[thumb];[b]fps={rate},scale=160:-2,tile=5x5[sheet]",
            "-map", "[thumb]", "-frames:v", "1", "-c:v", "libwebp", "-quality", "80", thumbnail,
            "-map", "[sheet]", "-frames:v", "1", "-q:v", "4", sheet,
        ], null, ct);

        await blobs.PutFileAsync(TaskBlobs.Thumbnail(job.TaskId), thumbnail, ct);
        await blobs.PutFileAsync(TaskBlobs.Spritesheet(job.TaskId), sheet, ct);

        // Deleted while we worked: do not leave previews of a task that no longer exists.
        if (await store.GetAsync(job.TaskId, null, ct) is not { Status: VideoStatus.Completed })
        {
            await blobs.DeletePrefixAsync(TaskBlobs.OutputPrefix(job.TaskId), ct);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Previews of task {TaskId} could not be made: {Reason}")]
        public static partial void Failed(ILogger logger, string taskId, string reason);
    }
}
