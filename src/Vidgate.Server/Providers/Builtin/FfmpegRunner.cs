namespace Vidgate.Server.Providers.Builtin;

// PLACEHOLDER until the renderer branch lands.
internal sealed class FfmpegRunner
{
    public Task<string?> ProbeVersionAsync(CancellationToken ct) => Task.FromResult<string?>("ffmpeg placeholder");
}
