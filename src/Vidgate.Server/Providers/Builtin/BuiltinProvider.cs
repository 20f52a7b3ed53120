using Microsoft.Extensions.Options;

namespace Vidgate.Server.Providers.Builtin;

/// <summary>
/// The offline default: renders a preview on this machine with ffmpeg. Honest about what it is: not a generative model.
/// A local provider: its "job" is a render inside <see cref="SubmitAsync"/>, answered <see cref="UpstreamSubmit.Finished"/>
/// (or <see cref="UpstreamSubmit.Rejected"/> when ffmpeg fails); there is nothing upstream to poll, look up or cancel
/// (cancelling the submit kills ffmpeg). A render lost with its node is simply submitted again: it re-renders.
/// </summary>
internal sealed class BuiltinProvider(
    BuiltinRenderer renderer, FfmpegRunner ffmpeg, IOptions<BuiltinOptions> options, IOptions<VidgateOptions> vidgate) : IVideoProvider
{
    /// <summary>The instance id (and type) models without routes run on.</summary>
    public const string Id = "builtin";

    private string? _version;

    public UpstreamSettings Settings { get; } = new(
        Id, Id, new Uri("builtin://local"), [""], options.Value.RenderTimeout, options.Value.Concurrency, 0,
        new Dictionary<string, string>(), null);

    public async Task<UpstreamSubmit> SubmitAsync(UpstreamJob job, CancellationToken ct)
    {
        var task = job.Task;
        var folder = Path.Combine(vidgate.Value.WorkRoot, $"{task.Id}-{task.Attempts}");
        var finished = false;
        try
        {
            Directory.CreateDirectory(folder);
            var inputs = new List<string>(job.Images.Count);
            foreach (var image in job.Images)
            {
                var path = Path.Combine(folder, $"input-{inputs.Count}{Extension(image.MediaType)}");
                await File.WriteAllBytesAsync(path, image.Bytes.ToArray(), ct);
                inputs.Add(path);
            }

            var output = await renderer.RenderAsync(
                new RenderJob(task.Id, task.Prompt, task.Width, task.Height, task.Seconds, inputs, folder), job.OnProgress, ct);
            finished = true;
            return new UpstreamSubmit.Finished(new Artifact(output.VideoPath, output.ThumbnailPath, output.SpritesheetPath, folder));
        }
        catch (RenderFailedException ex)
        {
            return new UpstreamSubmit.Rejected("render_failed", ex.Message);
        }
        finally
        {
            if (!finished)
            {
                WorkFolders.TryDelete(folder);
            }
        }
    }

    /// <summary>Never tracked: a builtin job ends inside its submit.</summary>
    public Task<UpstreamPoll> PollAsync(UpstreamHandle handle, CancellationToken ct)
        => Task.FromResult<UpstreamPoll>(new UpstreamPoll.Failed("internal_error", "The builtin renderer has no jobs to poll; the task is rendered again."));

    /// <summary>Nothing upstream: a render is stopped by cancelling its submit.</summary>
    public Task CancelAsync(UpstreamHandle handle, CancellationToken ct) => Task.CompletedTask;

    public Task<HttpResponseMessage> OpenResultAsync(UpstreamHandle handle, UpstreamPoll.Done done, CancellationToken ct)
        => throw new NotSupportedException("The builtin renderer hands its result over as local files (UpstreamSubmit.Finished).");

    public async Task<string?> CheckAsync(CancellationToken ct)
    {
        _version ??= await ffmpeg.ProbeVersionAsync(ct);
        return _version is null ? $"ffmpeg not found at '{options.Value.FfmpegPath}': install it (apt-get install ffmpeg) or set {BuiltinOptions.Section}:FfmpegPath." : null;
    }

    private static string Extension(string mediaType) => mediaType switch
    {
        "image/png" => ".png",
        "image/webp" => ".webp",
        _ => ".jpg",
    };
}
