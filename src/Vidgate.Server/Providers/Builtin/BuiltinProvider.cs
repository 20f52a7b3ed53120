using Microsoft.Extensions.Options;
using Vidgate.Server.Metrics;

namespace Vidgate.Server.Providers.Builtin;

/// <summary>The offline default: renders a preview on this machine with ffmpeg. Honest about what it is: not a generative model.</summary>
internal sealed class BuiltinProvider(
    BuiltinRenderer renderer, FfmpegRunner ffmpeg, IOptions<BuiltinOptions> options, VidgateMetrics metrics) : IVideoProvider
{
    private string? _version;

    public string Name => "builtin";

    public int MaxConcurrency => options.Value.Concurrency;

    public async Task<SubmitOutcome> SubmitAsync(ProviderJob job, Action<int> onProgress, CancellationToken ct)
    {
        var task = job.Task;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var outcome = "failed";
        try
        {
            var output = await renderer.RenderAsync(
                new RenderJob(task.Id, task.Prompt, task.Width, task.Height, task.Seconds, job.InputPaths, job.WorkDirectory), onProgress, ct);
            outcome = "ok";
            return new SubmitOutcome.Finished(new Artifact(output.VideoPath, output.ThumbnailPath, output.SpritesheetPath));
        }
        catch (RenderFailedException ex)
        {
            outcome = "failed";
            return new SubmitOutcome.Failed("render_failed", ex.Message);
        }
        catch (OperationCanceledException)
        {
            outcome = "cancelled";
            throw;
        }
        finally
        {
            // Every ffmpeg run is timed, including the killed ones (a cancel, a shutdown): they used the machine too.
            metrics.Rendered(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, outcome);
        }
    }

    public async Task<string?> CheckAsync(CancellationToken ct)
    {
        _version ??= await ffmpeg.ProbeVersionAsync(ct);
        return _version is null ? $"ffmpeg not found at '{options.Value.FfmpegPath}': install it (apt-get install ffmpeg) or set {BuiltinOptions.Section}:FfmpegPath." : null;
    }
}
