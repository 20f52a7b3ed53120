using Microsoft.Extensions.Options;
using Vidgate.Server.Providers;
using Vidgate.Server.Providers.Registry;
using Vidgate.Server.Storage;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Workers;

/// <summary>
/// Polls remote jobs when they are due. Each tracking job has a <c>next_poll_at</c> in the store; one statement claims a
/// batch of due jobs by pushing it forward (the poll lease: another node sees them again only if this one dies), and
/// the polls run concurrently, bounded by <see cref="UpstreamOptions.PollConcurrency"/> and each instance's rate gate
/// and 429 pause. No task waits behind another: the store orders by due time, not by instance or age. <c>Done</c>
/// hands the task to the <see cref="Finisher"/>; <c>Failed</c> and the deadline fail it; <c>Transient</c> only delays.
/// Every few seconds it also reconciles submits interrupted by a crash.
/// </summary>
internal sealed partial class Tracker(
    ITaskStore store,
    IUpstreamJobStore jobs,
    IBlobStore blobs,
    UpstreamRegistry registry,
    UpstreamSubmitter submitter,
    Finisher finisher,
    UpstreamSignals signals,
    WorkerIdentity me,
    TimeProvider clock,
    IOptions<UpstreamOptions> options,
    ILogger<Tracker> logger) : BackgroundService
{
    private const int BatchSize = 256;
    private static readonly TimeSpan MaintenanceInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MaxIdleWait = TimeSpan.FromMilliseconds(500);

    private readonly SemaphoreSlim _slots = new(options.Value.PollConcurrency, options.Value.PollConcurrency);

    // Stranded submits being reconciled on this node right now (the lease keeps other nodes away).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _reconciling = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var lastMaintenance = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var now = clock.GetUtcNow();
                if (now - lastMaintenance >= MaintenanceInterval)
                {
                    lastMaintenance = now;
                    await ReconcileAsync(now, stoppingToken);
                    await jobs.PurgeFinishedAsync(stoppingToken);
                }

                // Claim only as many as there are free slots, so a claimed job never waits here past its due time; and only
                // when something is due (a read), so an idle tracker costs no writes.
                var free = Math.Min(BatchSize, _slots.CurrentCount);
                var due = await jobs.NextDueAsync(stoppingToken);
                var batch = free == 0 || due is null || due > now ? [] : await jobs.ClaimDueAsync(now, now + options.Value.PollLease, free, stoppingToken);
                foreach (var job in batch)
                {
                    await _slots.WaitAsync(stoppingToken);
                    _ = PollAsync(job, stoppingToken);
                }

                if (batch.Count == free && free > 0)
                {
                    continue;
                }

                var wait = MaxIdleWait;
                var next = batch.Count > 0 ? await jobs.NextDueAsync(stoppingToken) : due;
                if (free == 0)
                {
                    wait = TimeSpan.FromMilliseconds(10);
                }
                else if (next is { } nextDue)
                {
                    var until = nextDue - clock.GetUtcNow();
                    wait = until < TimeSpan.FromMilliseconds(5) ? TimeSpan.FromMilliseconds(5) : until < wait ? until : wait;
                }

                await signals.Track.WaitAsync(wait, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.LoopFailed(logger, ex);
                await signals.Track.WaitAsync(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    private async Task PollAsync(UpstreamJobRow job, CancellationToken ct)
    {
        try
        {
            var now = clock.GetUtcNow();
            if (now >= job.DeadlineAt)
            {
                await FailAsync(job, "upstream_timeout",
                    $"The upstream provider did not finish the video within {options.Value.Deadline.TotalMinutes:0.#} minutes.", cancelUpstream: true);
                return;
            }

            if (registry.Instance(job.ProviderId) is not { } instance)
            {
                // Removed or being rebuilt: look again later; the deadline bounds the wait.
                await jobs.RecordPollAsync(job.TaskId, now + options.Value.MaxBlindPollInterval, null, ct);
                return;
            }

            if (instance.Gate.PausedUntil is { } paused)
            {
                await jobs.RecordPollAsync(job.TaskId, paused, null, ct);
                return;
            }

            var handle = Handle(job, instance);
            await instance.Gate.WaitAsync(ct);
            UpstreamPoll result;
            try
            {
                result = await instance.Provider.PollAsync(handle, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                result = new UpstreamPoll.Transient(ex.GetType().Name);
            }

            now = clock.GetUtcNow();
            var age = now - (job.AcceptedAt ?? job.SubmittedAt);
            switch (result)
            {
                case UpstreamPoll.Running running:
                    var progress = running.Progress is { } p ? Math.Max(p, job.LastProgress) : job.LastProgress;
                    await jobs.RecordPollAsync(job.TaskId, now + PollSchedule.Next(age, progress, options.Value), running.Progress, ct);
                    break;
                case UpstreamPoll.Transient transient:
                    var next = PollSchedule.Next(age, job.LastProgress, options.Value);
                    if (transient.RetryAfter is { } retryAfter)
                    {
                        instance.Gate.Pause(retryAfter);
                        next = retryAfter > next ? retryAfter : next;
                    }

                    Log.Transient(logger, job.TaskId, job.ProviderId, transient.Reason);
                    await jobs.RecordPollAsync(job.TaskId, now + next, null, ct);
                    break;
                case UpstreamPoll.Failed failed:
                    await FailAsync(job, failed.Code, failed.Message, cancelUpstream: false);
                    break;
                case UpstreamPoll.Done done:
                    // The upstream's cost (if it reported one) is recorded with the lease: it billed us whatever happens next.
                    if (await jobs.TryLeaseDoneAsync(job.TaskId, me.Owner, now, now + options.Value.PollLease, done.CostUsdTicks, ct))
                    {
                        finisher.Enqueue(new FinishJob(job, instance, handle, done));
                    }

                    break;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutting down: the poll lease lapses and the job is polled again after the restart.
        }
        catch (Exception ex)
        {
            Log.PollFailed(logger, job.TaskId, ex);
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>
    /// Submits interrupted by a crash (task still 'submitting', lease lapsed), each reconciled in the background like a
    /// poll (a slow upstream never holds up the polls). Where the provider can look the job up
    /// (<see cref="IUpstreamProvider.FindAsync"/>): found → adopted and tracked like an accepted submit; not found → sent
    /// once more to the same instance and key; unknown → looked at again when the lease taken here lapses
    /// (<see cref="UpstreamOptions.PollLease"/> plus two request timeouts), until the deadline. Otherwise resent with the
    /// same idempotency key where the upstream honours one, or failed, because sending again could make (and bill) the
    /// video twice.
    /// </summary>
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
                if (await submitter.ResubmitAsync(task, instance, job.KeyIndex, ct))
                {
                    return;
                }
            }

            Log.Interrupted(logger, job.TaskId, job.ProviderId);
            await FailLeasedAsync(job.TaskId, "upstream_submit_interrupted",
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
    /// Reconciles a stranded submit (leased here) by asking its upstream whether it has the job. False when the provider
    /// cannot look jobs up, so the caller falls back to the idempotency key or fails the task.
    /// </summary>
    private async Task<bool> LookUpAsync(UpstreamJobRow job, UpstreamInstance instance, CancellationToken ct)
    {
        var handle = Handle(job, instance);
        var lookup = await instance.LookUpAsync(job.TaskId, handle.ApiKey, ct);

        var now = clock.GetUtcNow();
        switch (lookup)
        {
            case UpstreamLookup.Found found:
                if (await jobs.AcceptedAsync(job.TaskId, me.Owner, found.UpstreamId, found.State, now, now, CancellationToken.None))
                {
                    Log.Adopted(logger, job.TaskId, job.ProviderId, found.UpstreamId);
                    signals.Track.Notify();
                }
                else
                {
                    // Cancelled meanwhile: the job runs upstream for nobody; ask it to stop.
                    await jobs.MarkFinishedAsync(job.TaskId, CancellationToken.None);
                    await TryCancelAsync(job.TaskId, instance, handle with { UpstreamId = found.UpstreamId, State = found.State });
                }

                return true;
            case UpstreamLookup.NotFound when now < job.DeadlineAt && await store.GetAsync(job.TaskId, null, ct) is { } task:
                Log.ResubmittingNotFound(logger, job.TaskId, job.ProviderId);
                if (!await submitter.ResubmitAsync(task, instance, job.KeyIndex, ct))
                {
                    // Still 'submitting' on the same instance: looked up again once the submit's lease lapses.
                    Log.ResubmitUnavailable(logger, job.TaskId, job.ProviderId);
                }

                return true;
            case UpstreamLookup.NotFound or UpstreamLookup.Unknown when now >= job.DeadlineAt:
                Log.LookupGaveUp(logger, job.TaskId, job.ProviderId);
                await FailLeasedAsync(job.TaskId, "upstream_timeout",
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

    private async Task TryCancelAsync(string taskId, UpstreamInstance instance, UpstreamHandle handle)
    {
        try
        {
            using var timeout = new CancellationTokenSource(instance.Settings.RequestTimeout);
            await instance.Provider.CancelAsync(handle, timeout.Token);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            Log.CancelFailed(logger, taskId, ex.Message);
        }
    }

    private async Task FailAsync(UpstreamJobRow job, string code, string message, bool cancelUpstream)
    {
        var now = clock.GetUtcNow();
        if (!await jobs.TryLeaseAsync(job.TaskId, me.Owner, now, now + options.Value.PollLease, CancellationToken.None))
        {
            return;
        }

        await FailLeasedAsync(job.TaskId, code, message);
        if (cancelUpstream && registry.Instance(job.ProviderId) is { } instance && job.UpstreamId is not null)
        {
            try
            {
                using var timeout = new CancellationTokenSource(instance.Settings.RequestTimeout);
                await instance.Provider.CancelAsync(Handle(job, instance), timeout.Token);
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
            {
                Log.CancelFailed(logger, job.TaskId, ex.Message);
            }
        }
    }

    private async Task FailLeasedAsync(string taskId, string code, string message)
    {
        if (await store.FailAsync(taskId, me.Owner, code, message, clock.GetUtcNow(), CancellationToken.None))
        {
            await blobs.DeletePrefixAsync(TaskBlobs.InputPrefix(taskId), CancellationToken.None);
            Log.Failed(logger, taskId, code, message);
        }

        await jobs.MarkFinishedAsync(taskId, CancellationToken.None);
    }

    public static UpstreamHandle Handle(UpstreamJobRow job, UpstreamInstance instance)
    {
        var keys = instance.Settings.ApiKeys;
        var index = job.KeyIndex < keys.Count ? job.KeyIndex : 0;
        return new UpstreamHandle(job.ProviderId, job.UpstreamId ?? "", index, keys[index], job.State);
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId} failed upstream: {Code}: {Message}")]
        public static partial void Failed(ILogger logger, string taskId, string code, string message);

        [LoggerMessage(Level = LogLevel.Debug, Message = "Task {TaskId}: poll of {Provider} inconclusive ({Reason}); polling again later")]
        public static partial void Transient(ILogger logger, string taskId, string provider, string reason);

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

        [LoggerMessage(Level = LogLevel.Warning, Message = "Upstream cancel of task {TaskId} failed: {Reason}")]
        public static partial void CancelFailed(ILogger logger, string taskId, string reason);

        [LoggerMessage(Level = LogLevel.Error, Message = "Reconciling the interrupted submit of task {TaskId} failed; trying again once its lease lapses")]
        public static partial void ReconcileFailed(ILogger logger, string taskId, Exception exception);

        [LoggerMessage(Level = LogLevel.Error, Message = "Polling task {TaskId} failed")]
        public static partial void PollFailed(ILogger logger, string taskId, Exception exception);

        [LoggerMessage(Level = LogLevel.Error, Message = "Tracker loop failed")]
        public static partial void LoopFailed(ILogger logger, Exception exception);
    }
}
