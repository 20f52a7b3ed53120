using Microsoft.Extensions.Options;

namespace Vidgate.Server.Providers.Builtin;

/// <summary>
/// Renders a tiny clip once, right after the server starts, through the same path as a real render (scene drawing,
/// the previews, the pipe into ffmpeg and x264), so a new user's first render does not pay for loading Skia's native
/// library, building its encoders, compiling the renderer's code, starting ffmpeg for the first time and paging in
/// x264: that was most of the gap between the first render and the next ones. In the background (the server listens
/// at once) and small (64×36, one second: about a tenth of a second of one core); its files go to a temp folder removed
/// at once. Off on a node without workers (it never renders), or with <c>Providers:Builtin:WarmUp=false</c>.
/// </summary>
internal sealed partial class BuiltinWarmUp(
    BuiltinRenderer renderer, IOptions<BuiltinOptions> options, IConfiguration configuration, ILogger<BuiltinWarmUp> logger) : BackgroundService
{
    // Every vocabulary class that draws something, so each drawing path is compiled once.
    private const string Prompt = "a city street at dawn with trees, houses, a road, clouds, water, birds, rain, snow, fog, "
        + "sun rays, fireflies and neon signs, vintage, moving forward";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.WarmUp || !configuration.GetValue("Vidgate:Workers", true))
        {
            return;
        }

        // Off the startup path: the host starts the next service (and Kestrel) while this runs.
        await Task.Yield();
        var folder = Directory.CreateTempSubdirectory("vidgate-warmup-").FullName;
        try
        {
            await renderer.RenderAsync(new RenderJob("warm-up", Prompt, 64, 36, 1, [], folder), _ => { }, stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Only a head start: the first render does the same work and reports its own errors (ffmpeg missing, …).
            Log.Failed(logger, ex.Message);
        }
        catch (OperationCanceledException)
        {
            // Stopped during startup.
        }
        finally
        {
            WorkFolders.TryDelete(folder);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Debug, Message = "The builtin renderer's warm-up failed: {Reason}")]
        public static partial void Failed(ILogger logger, string reason);
    }
}
