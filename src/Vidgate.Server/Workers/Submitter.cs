using Microsoft.Extensions.Options;
using Vidgate.Server.Metrics;
using Vidgate.Server.Providers;
using Vidgate.Server.Providers.Registry;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Workers;

/// <summary>
/// The first step of the one pipeline every task runs through: claim a queued task with a lease (one atomic statement)
/// and submit it to its provider. Lanes keep local work and remote calls from waiting on each other: each local
/// provider (builtin) claims its own tasks with as many loops as it runs at once
/// (<see cref="UpstreamSettings.MaxConcurrentJobs"/>) and does the work inside the submit (<see cref="LocalRun"/>); one
/// remote lane of <see cref="UpstreamOptions.SubmitConcurrency"/> loops claims every other task and submits it along
/// its routes (<see cref="RemoteSubmit"/>), after which the <see cref="Tracker"/> takes over through the store. On a
/// saturated node the remote lane gives way to polls and finishes (all its loops but one wait while the
/// <see cref="Tracker"/> is behind or <see cref="FinishQueue"/> has jobs waiting for a finisher): docs/architecture.md,
/// "How a saturated node prioritises".
/// </summary>
internal sealed partial class Submitter(
    ITaskStore store,
    IUpstreamJobStore jobs,
    UpstreamRegistry registry,
    LocalRun local,
    RemoteSubmit remote,
    FinishQueue finishes,
    PollBacklog polls,
    WorkSignals signals,
    WorkerIdentity me,
    TimeProvider clock,
    IOptions<VidgateOptions> vidgate,
    IOptions<UpstreamOptions> options,
    ILogger<Submitter> logger) : BackgroundService
{
    /// <summary>Where a loop claims from, what wakes it, and how it runs what it claimed.</summary>
    private sealed record Lane(string Name, WorkSignal Signal, Func<CancellationToken, Task<VideoTask?>> ClaimAsync, Func<VideoTask, CancellationToken, Task> RunAsync);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string[] localIds = [.. registry.LocalInstances.Select(i => i.Settings.Id)];
        var lanes = registry.LocalInstances
            .SelectMany(instance => Enumerable.Repeat(LocalLane(instance), Math.Max(1, instance.Settings.MaxConcurrentJobs)))
            .Concat(Enumerable.Range(0, options.Value.SubmitConcurrency).Select(i => RemoteLane(localIds, yields: i > 0)));
        return Task.WhenAll(lanes.Select(lane => LoopAsync(lane, stoppingToken)));
    }

    private Lane LocalLane(UpstreamInstance instance)
    {
        string[] names = [instance.Settings.Id];
        return new Lane(instance.Settings.Id, signals.Local,
            ct =>
            {
                var now = clock.GetUtcNow();
                return store.TryClaimAsync(names, me.Owner, now, now + vidgate.Value.LeaseDuration, ct);
            },
            (task, ct) => local.RunAsync(instance, task, ct));
    }

    // How often a remote lane that holds back looks again (a finish takes tens of milliseconds when idle).
    private static readonly TimeSpan BacklogCheck = TimeSpan.FromMilliseconds(50);

    private Lane RemoteLane(string[] localIds, bool yields) => new("remote", signals.Submit,
        async ct =>
        {
            // A saturated node polls and finishes before it submits: a due poll or a finish is a task already paid for
            // upstream whose user is waiting, a new submit only starts one. While due polls are late or finished jobs wait
            // for a finisher, every remote lane but the first holds back its next claim: submits slow down but never stop.
            while (yields && (finishes.Waiting > 0 || polls.Behind))
            {
                await Task.Delay(BacklogCheck, clock, ct);
            }

            var now = clock.GetUtcNow();

            // A read first: idle loops must not cost a write (and an fsync) each on a server that renders locally.
            return await jobs.AnyQueuedAsync(localIds, now, ct)
                ? await store.TryClaimExceptAsync(localIds, me.Owner, now, now + vidgate.Value.LeaseDuration, ct)
                : null;
        },
        SubmitRemoteAsync);

    private async Task LoopAsync(Lane lane, CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            VideoTask? task;
            try
            {
                task = await lane.ClaimAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.ClaimFailed(logger, lane.Name, ex);
                await lane.Signal.WaitAsync(vidgate.Value.IdlePollInterval, stoppingToken);
                continue;
            }

            if (task is null)
            {
                await lane.Signal.WaitAsync(vidgate.Value.IdlePollInterval, stoppingToken);
                continue;
            }

            // More may be waiting: let another idle loop look too.
            lane.Signal.Notify();
            using (logger.BeginScope("task {TaskId}", task.Id))
            {
                using var span = VidgateTracing.Step("claim", task.Id);
                await lane.RunAsync(task, stoppingToken);
            }
        }
    }

    private async Task SubmitRemoteAsync(VideoTask task, CancellationToken stoppingToken)
    {
        using var span = VidgateTracing.Step("submit", task.Id);
        try
        {
            await remote.SubmitAsync(task, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Left as it is: queued tasks are re-claimed, a 'submitting' one is reconciled after its lease lapses.
        }
        catch (Exception ex)
        {
            // Whether the upstream took it is unknown: the lease lapses and the reconciler looks at it.
            Log.SubmitCrashed(logger, task.Id, ex);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Error, Message = "Claiming work for the {Lane} lane failed")]
        public static partial void ClaimFailed(ILogger logger, string lane, Exception exception);

        [LoggerMessage(Level = LogLevel.Error, Message = "Submitting task {TaskId} failed unexpectedly; it will be reconciled")]
        public static partial void SubmitCrashed(ILogger logger, string taskId, Exception exception);
    }
}
