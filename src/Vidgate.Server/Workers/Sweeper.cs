using Microsoft.Extensions.Options;
using Vidgate.Server.Storage;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Workers;

/// <summary>Re-queues tasks whose lease lapsed (their node died) and removes content past its retention.</summary>
internal sealed partial class Sweeper(
    ITaskStore store, IBlobStore blobs, WorkSignals signals, TimeProvider clock, IOptions<VidgateOptions> options, ILogger<Sweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval, clock);
        do
        {
            try
            {
                await SweepOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                Log.SweepFailed(logger, ex);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    public async Task SweepOnceAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var requeued = await store.RequeueLapsedAsync(now, ct);
        if (requeued > 0)
        {
            Log.Requeued(logger, requeued);
            signals.Requeued();
        }

        IReadOnlyList<string> expired;
        do
        {
            expired = await store.ExpiredContentAsync(now, 100, ct);
            foreach (var id in expired)
            {
                await blobs.DeletePrefixAsync(TaskBlobs.OutputPrefix(id), ct);
                await store.MarkContentDeletedAsync(id, now, ct);
                Log.Expired(logger, id);
            }
        }
        while (expired.Count == 100);
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Re-queued {Count} task(s) whose worker stopped renewing its lease")]
        public static partial void Requeued(ILogger logger, int count);

        [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId} content expired and was removed")]
        public static partial void Expired(ILogger logger, string taskId);

        [LoggerMessage(Level = LogLevel.Error, Message = "Sweep failed")]
        public static partial void SweepFailed(ILogger logger, Exception exception);
    }
}
