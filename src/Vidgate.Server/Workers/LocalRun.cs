using Microsoft.Extensions.Options;
using Vidgate.Server.Metrics;
using Vidgate.Server.Providers;
using Vidgate.Server.Providers.Registry;
using Vidgate.Server.Storage;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Workers;

/// <summary>
/// The submit of a task claimed for a local provider (builtin), which does the work inside the call. While it runs, a
/// heartbeat renews the lease and writes progress every <see cref="VidgateOptions.ProgressInterval"/>; if it finds the
/// task cancelled (by any node) or the lease lost, the work is stopped, and a cancel on this node stops it at once
/// (<see cref="RunningTasks"/>). On shutdown the lease is given back so the next start re-runs the task; after a crash
/// the lease lapses and the sweeper queues it again (a local job is simply done again). The result files go into
/// storage and the task is completed in the same step: nothing waits for a poll.
/// </summary>
internal sealed partial class LocalRun(
    ITaskStore store,
    IBlobStore blobs,
    TaskImages images,
    TaskEndings endings,
    RunningTasks running,
    VidgateMetrics metrics,
    WorkerIdentity me,
    TimeProvider clock,
    IOptions<VidgateOptions> options,
    ILogger<LocalRun> logger)
{
    public async Task RunAsync(UpstreamInstance instance, VideoTask task, CancellationToken stoppingToken)
    {
        using var span = VidgateTracing.Step("render", task.Id);
        var provider = instance.Settings.Id;
        using var work = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        running.Add(task.Id, work);
        var progress = new ProgressBox();
        Log.Started(logger, task.Id, provider, task.Attempts);
        using var heartbeatStop = new CancellationTokenSource();
        var heartbeat = HeartbeatAsync(task.Id, progress, work, heartbeatStop.Token);
        var started = clock.GetTimestamp();
        var outcome = "failed";
        try
        {
            if (task.Attempts > 1 && await StoredEarlierAsync(task.Id, work.Token))
            {
                // A node stopped between storing this render and completing the task: the result is complete (the
                // video is stored last, and StoredResult checks it is whole), so it is completed as it is, not made and
                // stored a second time.
                outcome = "ok";
                await StopAsync(heartbeatStop, heartbeat);
                if (!await endings.CompleteAsync(task.Id, provider, null))
                {
                    await blobs.DeletePrefixAsync(TaskBlobs.OutputPrefix(task.Id), CancellationToken.None);
                    Log.Discarded(logger, task.Id);
                }

                return;
            }

            var inputs = await images.LoadAsync(task, work.Token);
            var job = new UpstreamJob(task, inputs, instance.Settings.UpstreamModel(task.Model), instance.Settings.ApiKeys[0], task.Id)
            {
                OnProgress = progress.Set,
            };
            var result = await instance.Provider.SubmitAsync(job, work.Token);
            outcome = result is UpstreamSubmit.Finished ? "ok" : "failed";
            await StopAsync(heartbeatStop, heartbeat);
            await EndAsync(provider, task, result);
        }
        catch (OperationCanceledException) when (work.IsCancellationRequested)
        {
            outcome = "cancelled";
            await StopAsync(heartbeatStop, heartbeat);
            if (stoppingToken.IsCancellationRequested && await store.ReleaseAsync(task.Id, me.Owner, CancellationToken.None))
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
            await StopAsync(heartbeatStop, heartbeat);
            Log.Crashed(logger, task.Id, ex);
            await endings.FailAsync(task.Id, provider, "internal_error", "The server failed while running this task; it was not charged.");
        }
        finally
        {
            running.Remove(task.Id);

            // Every local run is timed, including the killed ones (a cancel, a shutdown): they used the machine too.
            metrics.Rendered(clock.GetElapsedTime(started).TotalSeconds, outcome);
        }
    }

    private async Task EndAsync(string provider, VideoTask task, UpstreamSubmit result)
    {
        switch (result)
        {
            case UpstreamSubmit.Finished { Artifact: var artifact } finished:
                try
                {
                    // The video last: once it is stored, the whole result is (see StoredEarlierAsync).
                    await blobs.PutFileAsync(TaskBlobs.Thumbnail(task.Id), artifact.ThumbnailPath, CancellationToken.None);
                    await blobs.PutFileAsync(TaskBlobs.Spritesheet(task.Id), artifact.SpritesheetPath, CancellationToken.None);
                    await blobs.PutFileAsync(TaskBlobs.Video(task.Id), artifact.VideoPath, CancellationToken.None);
                    if (!await endings.CompleteAsync(task.Id, provider, finished.ActualSeconds))
                    {
                        // Cancelled or taken over while we finished: this result must never be shown.
                        await blobs.DeletePrefixAsync(TaskBlobs.OutputPrefix(task.Id), CancellationToken.None);
                        Log.Discarded(logger, task.Id);
                    }
                }
                finally
                {
                    WorkFolders.TryDelete(artifact.WorkFolder);
                }

                break;
            case UpstreamSubmit.Rejected rejected:
                await endings.FailAsync(task.Id, provider, rejected.Code, rejected.Message);
                break;
            default:
                // A local provider does its work inside the submit; anything else is a bug in it, never the caller's fault.
                await endings.FailAsync(task.Id, provider, "internal_error", "The server failed while running this task; it was not charged.");
                break;
        }
    }

    private async Task<bool> StoredEarlierAsync(string taskId, CancellationToken ct)
    {
        var check = Path.Combine(options.Value.WorkRoot, $"{taskId}-stored-{Guid.NewGuid():N}.mp4");
        Directory.CreateDirectory(options.Value.WorkRoot);
        try
        {
            return await StoredResult.TryCopyAsync(blobs, taskId, check, ct);
        }
        finally
        {
            File.Delete(check);
        }
    }

    private static async Task StopAsync(CancellationTokenSource heartbeatStop, Task heartbeat)
    {
        await heartbeatStop.CancelAsync();
        await heartbeat;
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
                await Task.Delay(interval, clock, stop);
                var value = progress.Value;
                var alive = await store.HeartbeatAsync(taskId, me.Owner, clock.GetUtcNow() + options.Value.LeaseDuration, value, stop);
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

        [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId} finished after it was cancelled or taken over; result discarded")]
        public static partial void Discarded(ILogger logger, string taskId);

        [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId} stopped (cancelled or lease lost)")]
        public static partial void Stopped(ILogger logger, string taskId);

        [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId} handed back to the queue for the next start")]
        public static partial void Released(ILogger logger, string taskId);

        [LoggerMessage(Level = LogLevel.Error, Message = "Task {TaskId} crashed its worker")]
        public static partial void Crashed(ILogger logger, string taskId, Exception exception);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat of task {TaskId} failed (last progress {Progress})")]
        public static partial void HeartbeatFailed(ILogger logger, string taskId, int progress, Exception exception);
    }
}
