using Microsoft.Extensions.Options;
using Vidgate.Server.Hosting;
using Vidgate.Server.Providers;
using Vidgate.Server.Storage;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Workers;

/// <summary>
/// Claims queued tasks from the store (one atomic statement with a lease) and runs them on their provider,
/// <see cref="IVideoProvider.MaxConcurrency"/> at a time per provider. While a task runs, a heartbeat renews the lease
/// and writes progress; if the heartbeat finds the task cancelled or the lease lost, the work is stopped. On shutdown
/// the lease is given back so the next start re-runs the task at once.
/// </summary>
internal sealed partial class Dispatcher(
    ITaskStore store,
    IBlobStore blobs,
    IEnumerable<IVideoProvider> providers,
    WorkSignal signal,
    RunningTasks running,
    TimeProvider clock,
    IOptions<VidgateOptions> options,
    ILogger<Dispatcher> logger) : BackgroundService
{
    private readonly string _owner = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var loops = providers.SelectMany(p => Enumerable.Range(0, p.MaxConcurrency).Select(_ => LoopAsync(p, stoppingToken)));
        return Task.WhenAll(loops);
    }

    private async Task LoopAsync(IVideoProvider provider, CancellationToken stoppingToken)
    {
        await Task.Yield();
        string[] names = [provider.Name];
        while (!stoppingToken.IsCancellationRequested)
        {
            VideoTask? task;
            try
            {
                var now = clock.GetUtcNow();
                task = await store.TryClaimAsync(names, _owner, now, now + options.Value.LeaseDuration, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.ClaimFailed(logger, provider.Name, ex);
                await signal.WaitAsync(options.Value.IdlePollInterval, stoppingToken);
                continue;
            }

            if (task is null)
            {
                await signal.WaitAsync(options.Value.IdlePollInterval, stoppingToken);
                continue;
            }

            // More may be waiting: let another idle loop look too.
            signal.Notify();
            using (logger.BeginScope("task {TaskId}", task.Id))
            {
                await RunAsync(provider, task, stoppingToken);
            }
        }
    }

    private async Task RunAsync(IVideoProvider provider, VideoTask task, CancellationToken stoppingToken)
    {
        using var work = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        running.Add(task.Id, work);
        var progress = new ProgressBox();
        var workDirectory = Path.Combine(options.Value.WorkRoot, $"{task.Id}-{task.Attempts}");
        Log.Started(logger, task.Id, provider.Name, task.Attempts);
        using var heartbeatStop = new CancellationTokenSource();
        var heartbeat = HeartbeatAsync(task.Id, progress, work, heartbeatStop.Token);
        try
        {
            Directory.CreateDirectory(workDirectory);
            var inputs = new List<string>(task.InputKeys.Count);
            foreach (var key in task.InputKeys)
            {
                var path = Path.Combine(workDirectory, "input-" + inputs.Count + Path.GetExtension(key));
                await blobs.CopyToFileAsync(key, path, work.Token);
                inputs.Add(path);
            }

            var outcome = await provider.SubmitAsync(new ProviderJob(task, inputs, workDirectory), progress.Set, work.Token);
            await heartbeatStop.CancelAsync();
            await heartbeat;
            await FinishAsync(task, outcome);
        }
        catch (OperationCanceledException) when (work.IsCancellationRequested)
        {
            await heartbeatStop.CancelAsync();
            await heartbeat;
            if (stoppingToken.IsCancellationRequested && await store.ReleaseAsync(task.Id, _owner, CancellationToken.None))
            {
                Log.Released(logger, task.Id);
            }
            else
            {
                Log.Stopped(logger, task.Id);
            }
        }
        catch (Exception ex)
        {
            await heartbeatStop.CancelAsync();
            await heartbeat;
            Log.Crashed(logger, task.Id, ex);
            await store.FailAsync(task.Id, _owner, "internal_error", "The server failed while running this task; it was not charged.", clock.GetUtcNow(), CancellationToken.None);
        }
        finally
        {
            running.Remove(task.Id);
            WorkFolders.TryDelete(workDirectory);
        }
    }

    private async Task FinishAsync(VideoTask task, SubmitOutcome outcome)
    {
        var now = clock.GetUtcNow();
        switch (outcome)
        {
            case SubmitOutcome.Finished finished:
                await blobs.PutFileAsync(TaskBlobs.Video(task.Id), finished.Artifact.VideoPath, CancellationToken.None);
                await blobs.PutFileAsync(TaskBlobs.Thumbnail(task.Id), finished.Artifact.ThumbnailPath, CancellationToken.None);
                await blobs.PutFileAsync(TaskBlobs.Spritesheet(task.Id), finished.Artifact.SpritesheetPath, CancellationToken.None);
                var expires = options.Value.Retention > TimeSpan.Zero ? now + options.Value.Retention : (DateTimeOffset?)null;
                if (await store.CompleteAsync(task.Id, _owner, now, expires, finished.ActualSeconds, CancellationToken.None))
                {
                    await blobs.DeletePrefixAsync(TaskBlobs.InputPrefix(task.Id), CancellationToken.None);
                    Log.Completed(logger, task.Id);
                }
                else
                {
                    // Cancelled or taken over while we finished: this result must never be shown.
                    await blobs.DeletePrefixAsync(TaskBlobs.OutputPrefix(task.Id), CancellationToken.None);
                    Log.Discarded(logger, task.Id);
                }

                break;
            case SubmitOutcome.Failed failed:
                if (await store.FailAsync(task.Id, _owner, failed.Code, failed.Message, now, CancellationToken.None))
                {
                    await blobs.DeletePrefixAsync(TaskBlobs.InputPrefix(task.Id), CancellationToken.None);
                    Log.Failed(logger, task.Id, failed.Code, failed.Message);
                }

                break;
            default:
                throw new System.Diagnostics.UnreachableException();
        }
    }

    /// <summary>Renews the lease and writes progress; stops the work if the task was cancelled or the lease lost.</summary>
    private async Task HeartbeatAsync(string taskId, ProgressBox progress, CancellationTokenSource work, CancellationToken stop)
    {
        var interval = TimeSpan.FromTicks(Math.Min(options.Value.ProgressInterval.Ticks, options.Value.LeaseDuration.Ticks / 3));
        var written = -1;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(interval, stop);
                var value = progress.Value;
                var alive = await store.HeartbeatAsync(taskId, _owner, clock.GetUtcNow() + options.Value.LeaseDuration, value, stop);
                if (!alive)
                {
                    await work.CancelAsync();
                    return;
                }

                written = value;
            }
        }
        catch (OperationCanceledException)
        {
            // Work finished; the final transition writes the last state.
        }
        catch (Exception ex)
        {
            Log.HeartbeatFailed(logger, taskId, written, ex);
        }
    }

    private sealed class ProgressBox
    {
        private int _value;

        public int Value => Volatile.Read(ref _value);

        public void Set(int value)
        {
            // Never backwards, whatever the provider reports.
            int current;
            while (value > (current = Volatile.Read(ref _value)) && Interlocked.CompareExchange(ref _value, value, current) != current)
            {
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId} started on {Provider} (attempt {Attempt})")]
        public static partial void Started(ILogger logger, string taskId, string provider, int attempt);

        [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId} completed")]
        public static partial void Completed(ILogger logger, string taskId);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId} failed: {Code}: {Message}")]
        public static partial void Failed(ILogger logger, string taskId, string code, string message);

        [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId} finished after it was cancelled or taken over; result discarded")]
        public static partial void Discarded(ILogger logger, string taskId);

        [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId} stopped (cancelled or lease lost)")]
        public static partial void Stopped(ILogger logger, string taskId);

        [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId} handed back to the queue for the next start")]
        public static partial void Released(ILogger logger, string taskId);

        [LoggerMessage(Level = LogLevel.Error, Message = "Task {TaskId} crashed its worker")]
        public static partial void Crashed(ILogger logger, string taskId, Exception exception);

        [LoggerMessage(Level = LogLevel.Error, Message = "Claiming work for {Provider} failed")]
        public static partial void ClaimFailed(ILogger logger, string provider, Exception exception);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat of task {TaskId} failed (last progress {Progress})")]
        public static partial void HeartbeatFailed(ILogger logger, string taskId, int progress, Exception exception);
    }
}
