using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Vidgate.Server.Providers;
using Vidgate.Server.Providers.Registry;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Workers;

/// <summary>
/// Submits interrupted by a crash (task still <c>submitting</c>, lease lapsed), looked at every few seconds, each
/// reconciled in the background under a task lease (a slow upstream never holds up the others). Where the provider can
/// look the job up (<see cref="IVideoProvider.FindAsync"/>): found → adopted and tracked like an accepted submit; not
/// found → sent once more to the same instance and key; unknown → looked at again when the lease taken here lapses
/// (<see cref="UpstreamOptions.PollLease"/> plus two request timeouts), until the deadline. Otherwise resent with the
/// same idempotency key where the upstream honours one, or failed, because sending again could make (and bill) the
/// video twice. The same round marks the job rows of tasks that ended by other paths (owner cancels) finished.
/// </summary>
internal sealed partial class Reconciler(
    ITaskStore store,
    IUpstreamJobStore jobs,
    UpstreamRegistry registry,
    TaskImages images,
    SubmitCall call,
    TaskEndings endings,
    UpstreamCancel cancel,
    WorkSignals signals,
    WorkerIdentity me,
    TimeProvider clock,
    IOptions<UpstreamOptions> options,
    ILogger<Reconciler> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _slots = new(options.Value.PollConcurrency, options.Value.PollConcurrency);

    // Stranded submits being reconciled on this node right now (the lease keeps other nodes away).
    private readonly ConcurrentDictionary<string, byte> _reconciling = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        using var timer = new PeriodicTimer(Interval, clock);
        do
        {
            try
            {
                await ReconcileAsync(clock.GetUtcNow(), stoppingToken);
                await jobs.PurgeFinishedAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.LoopFailed(logger, ex);
            }
        }
        while (await TickAsync(timer, stoppingToken));
    }

    private static async Task<bool> TickAsync(PeriodicTimer timer, CancellationToken ct)
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

    private async Task ReconcileAsync(DateTimeOffset now, CancellationToken ct)
    {
        foreach (var job in await jobs.StrandedSubmitsAsync(now, 100, ct))
        {
            if (!_reconciling.TryAdd(job.TaskId, 0))
            {
                continue;
            }

            // Long enough for a lookup (two calls) and a resubmit, which extends the lease itself before its call.
            var instance = registry.Instance(job.ProviderId);
            var hold = options.Value.PollLease + (instance is null ? TimeSpan.Zero : 2 * instance.Settings.RequestTimeout);
            if (!await jobs.TryLeaseAsync(job.TaskId, me.Owner, now, now + hold, ct))
            {
                _reconciling.TryRemove(job.TaskId, out _);
                continue;
            }

            await _slots.WaitAsync(ct);
            _ = ReconcileOneAsync(job, instance, ct);
        }
    }

    private async Task ReconcileOneAsync(UpstreamJobRow job, UpstreamInstance? instance, CancellationToken ct)
    {
        try
        {
            if (instance is not null && await LookUpAsync(job, instance, ct))
            {
                return;
            }

            if (instance?.Provider.SupportsIdempotencyKey == true && await store.GetAsync(job.TaskId, null, ct) is { } task)
            {
                Log.Resubmitting(logger, job.TaskId, job.ProviderId);
                if (await ResubmitAsync(task, instance, job.KeyIndex, ct))
                {
                    return;
                }
            }

            Log.Interrupted(logger, job.TaskId, job.ProviderId);
            await endings.FailJobAsync(job, "upstream_submit_interrupted",
                "The server stopped while handing this task to its upstream provider, so whether the provider accepted it is unknown. "
                + "It was not sent again, because that could make the video twice; create it again if you still need it.");
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutting down: the lease lapses and the next start reconciles it.
        }
        catch (Exception ex)
        {
            Log.ReconcileFailed(logger, job.TaskId, ex);
        }
        finally
        {
            _reconciling.TryRemove(job.TaskId, out _);
            _slots.Release();
        }
    }

    /// <summary>
    /// Asks the upstream whether it has the job. False when the provider cannot look jobs up, so the caller falls back
    /// to the idempotency key or fails the task.
    /// </summary>
    private async Task<bool> LookUpAsync(UpstreamJobRow job, UpstreamInstance instance, CancellationToken ct)
    {
        var handle = UpstreamCancel.Handle(job, instance);
        var lookup = await instance.LookUpAsync(job.TaskId, handle.ApiKey, ct);

        var now = clock.GetUtcNow();
        switch (lookup)
        {
            case UpstreamLookup.Found found:
                // Adopted like an accepted submit: what the upstream model makes of the request (a snapped length or size)
                // is what the task shows and is billed on, exactly as if the submit's answer had arrived.
                var delivered = await DeliveredAsync(job, instance, ct);
                if (await jobs.AcceptedAsync(job.TaskId, me.Owner, found.UpstreamId, found.State, now, now, delivered, CancellationToken.None))
                {
                    Log.Adopted(logger, job.TaskId, job.ProviderId, found.UpstreamId);
                    signals.Track.Notify();
                }
                else
                {
                    // Cancelled meanwhile: the job runs upstream for nobody; ask it to stop.
                    await jobs.MarkFinishedAsync(job.TaskId, CancellationToken.None);
                    await cancel.TryAsync(job.TaskId, instance, handle with { UpstreamId = found.UpstreamId, State = found.State });
                }

                return true;
            case UpstreamLookup.NotFound when now < job.DeadlineAt && await store.GetAsync(job.TaskId, null, ct) is { } task:
                Log.ResubmittingNotFound(logger, job.TaskId, job.ProviderId);
                if (!await ResubmitAsync(task, instance, job.KeyIndex, ct))
                {
                    // Still 'submitting' on the same instance: looked up again once the submit's lease lapses.
                    Log.ResubmitUnavailable(logger, job.TaskId, job.ProviderId);
                }

                return true;
            case UpstreamLookup.NotFound or UpstreamLookup.Unknown when now >= job.DeadlineAt:
                Log.LookupGaveUp(logger, job.TaskId, job.ProviderId);
                await endings.FailJobAsync(job, "upstream_timeout",
                    $"The upstream provider did not finish the video within {options.Value.Deadline.TotalMinutes:0.#} minutes; "
                    + "the server stopped while handing the task over and could not find out whether the provider took it.");
                return true;
            case UpstreamLookup.Unknown unknown:
                Log.LookupInconclusive(logger, job.TaskId, job.ProviderId, unknown.Reason, (options.Value.PollLease + 2 * instance.Settings.RequestTimeout).TotalSeconds);
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// What <paramref name="instance"/> delivers for the job's task, judged as the submit judged it (its images, its route's
    /// model); null when the instance takes everything as asked or the task is gone.
    /// </summary>
    private async Task<Delivered?> DeliveredAsync(UpstreamJobRow job, UpstreamInstance instance, CancellationToken ct)
    {
        if (instance.Fit is null || await store.GetAsync(job.TaskId, null, ct) is not { } task)
        {
            return null;
        }

        var routeModel = registry.TryOrder(task.Model).FirstOrDefault(r => r.ProviderId == job.ProviderId)?.Model ?? task.Model;
        return (instance.FitOf(task, await images.LoadAsync(task, ct), routeModel) as RequestFit.Takes)?.Delivered;
    }

    /// <summary>Sends the task once more to the same instance and key (same idempotency key: the task id). False: not taken.</summary>
    private async Task<bool> ResubmitAsync(VideoTask task, UpstreamInstance instance, int keyIndex, CancellationToken ct)
    {
        var (attempt, _) = await call.TryAsync(task, instance, task.Model, keyIndex, await images.LoadAsync(task, ct), ct);
        return attempt is not (SubmitAttempt.Unavailable or SubmitAttempt.KeyRefused);
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId} was being submitted to {Provider} when the server stopped; resubmitting with its idempotency key")]
        public static partial void Resubmitting(ILogger logger, string taskId, string provider);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId} was being submitted to {Provider} when the server stopped; failing it rather than risking a second job")]
        public static partial void Interrupted(ILogger logger, string taskId, string provider);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId} was being submitted to {Provider} when the server stopped; the upstream has it as {UpstreamId}, tracking it")]
        public static partial void Adopted(ILogger logger, string taskId, string provider, string upstreamId);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId} was being submitted to {Provider} when the server stopped; the upstream never got it, submitting it again")]
        public static partial void ResubmittingNotFound(ILogger logger, string taskId, string provider);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId}: the new submit to {Provider} did not go through; it will be looked up again")]
        public static partial void ResubmitUnavailable(ILogger logger, string taskId, string provider);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId} was being submitted to {Provider} when the server stopped; could not tell whether the upstream has it ({Reason}), looking again in {Seconds:0.#} s")]
        public static partial void LookupInconclusive(ILogger logger, string taskId, string provider, string reason, double seconds);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId}: interrupted submit to {Provider} still unresolved at its deadline; failing it")]
        public static partial void LookupGaveUp(ILogger logger, string taskId, string provider);

        [LoggerMessage(Level = LogLevel.Error, Message = "Reconciling the interrupted submit of task {TaskId} failed; trying again once its lease lapses")]
        public static partial void ReconcileFailed(ILogger logger, string taskId, Exception exception);

        [LoggerMessage(Level = LogLevel.Error, Message = "Reconciler round failed")]
        public static partial void LoopFailed(ILogger logger, Exception exception);
    }
}
