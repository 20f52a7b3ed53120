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

// PLACEHOLDER: the real implementation lands from the renderer work (ScenePlanner, FfmpegRunner, ...).
internal sealed class BuiltinRenderer
{
    public Task<RenderOutput> RenderAsync(RenderJob job, Action<int> onProgress, CancellationToken ct)
        => throw new RenderFailedException("renderer not built yet");
}
