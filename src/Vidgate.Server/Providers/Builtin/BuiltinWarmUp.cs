using Microsoft.Extensions.Options;

namespace Vidgate.Server.Providers.Builtin;

/// <summary>
/// Draws a tiny scene once, right after the server starts, so the first real render does not pay for loading Skia's
/// native library, building its encoders and compiling the painter's code: that was most of the gap between a new
/// user's first render and the next ones. In the background (the server listens at once) and small (a few hundred
/// milliseconds of one core), nothing is written anywhere but a temp folder removed at once. Off on a node
/// without workers (it never renders), or with <c>Providers:Builtin:WarmUp=false</c>.
/// </summary>
internal sealed partial class BuiltinWarmUp(IOptions<BuiltinOptions> options, IConfiguration configuration, ILogger<BuiltinWarmUp> logger) : BackgroundService
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
            const int Frames = 2;
            _ = ScenePlanner.Plan(Prompt);
            using var previews = new ScenePreviews(64, 36, Frames, Path.Combine(folder, "t.webp"), Path.Combine(folder, "s.jpg"));
            using var scene = new SceneFrames(SceneReader.Read(Prompt), 64, 36, Frames, options.Value.PreviewLabel);
            await scene.WriteAsync(Stream.Null, previews, stoppingToken);
            await previews.FinishAsync();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Only a head start: the first render does the same work and reports its own errors.
            Log.Failed(logger, ex.Message);
        }
        catch (OperationCanceledException)
        {
            // Stopped during startup.
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Debug, Message = "The builtin renderer's warm-up failed: {Reason}")]
        public static partial void Failed(ILogger logger, string reason);
    }
}
