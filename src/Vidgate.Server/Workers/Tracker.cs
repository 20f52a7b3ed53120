using Microsoft.Extensions.Options;
using Vidgate.Server.Metrics;
using Vidgate.Server.Providers;
using Vidgate.Server.Providers.Registry;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Workers;

/// <summary>
/// Polls remote jobs when they are due. Each tracking job has a <c>next_poll_at</c> in the store; one statement claims a
/// batch of due jobs by pushing it forward (the poll lease: another node sees them again only if this one dies), and
/// the polls run concurrently, bounded by <see cref="UpstreamOptions.PollConcurrency"/> and each instance's rate gate
/// and 429 pause. No task waits behind another: the store orders by due time, not by instance or age. <c>Done</c>
/// takes the task's lease and hands it to the <see cref="Finisher"/> (<see cref="FinishQueue"/>); <c>Failed</c> and the
/// deadline fail it; <c>Transient</c> only delays. Submits interrupted by a crash are the <see cref="Reconciler"/>'s.
/// </summary>
internal sealed partial class Tracker(
    IUpstreamJobStore jobs,
    UpstreamRegistry registry,
    TaskEndings endings,
    UpstreamCancel cancel,
    FinishQueue finishes,
    PollBacklog backlog,
    WorkSignals signals,
    WorkerIdentity me,
    TimeProvider clock,
    IOptions<UpstreamOptions> options,
    ILogger<Tracker> logger) : BackgroundService
{
    private const int BatchSize = 256;
    private static readonly TimeSpan MaxIdleWait = TimeSpan.FromMilliseconds(500);

    private readonly SemaphoreSlim _slots = new(options.Value.PollConcurrency, options.Value.PollConcurrency);
    private readonly TransientRetries _retries = new();

    // Jobs this node is polling right now; true: a callback asked for another poll meanwhile.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _polling = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var now = clock.GetUtcNow();

                // Claim only as many as there are free slots, so a claimed job never waits here past its due time; and only
                // when something is due (a read), so an idle tracker costs no writes.
                var free = Math.Min(BatchSize, _slots.CurrentCount);
                // With every slot busy, nothing could be claimed: no read either (it was one every 10 ms per node at 10,000 jobs).
                var due = free == 0 ? null : await jobs.NextDueAsync(stoppingToken);
                backlog.Saw(due, now, slotsFull: free == 0);
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
        if (!_polling.TryAdd(job.TaskId, false))
        {
            // An upstream callback made it due while this node's poll of it is still out (two polls at once could both
            // see it done): that poll asks again as soon as it is back instead.
            _polling[job.TaskId] = true;
            _slots.Release();

            // Or that poll's result is already written (due again soon) and it has only not let go of the job here yet:
            // then nobody reads the flag, and this claim has pushed the next poll a whole poll lease (60 s) away. The job
            // is made due at the end interval instead; if the first poll is still out, the next claim lands here again.
            try
            {
                await jobs.RecordPollAsync(job.TaskId, clock.GetUtcNow() + options.Value.EndPollInterval, null, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                Log.PollFailed(logger, job.TaskId, ex);
            }

            return;
        }

        try
        {
            await PollOnceAsync(job, ct);
        }
        finally
        {
            _polling.TryRemove(job.TaskId, out _);
            _slots.Release();
        }
    }

    private async Task PollOnceAsync(UpstreamJobRow job, CancellationToken ct)
    {
        using var span = VidgateTracing.Step("poll", job.TaskId);
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

            var handle = UpstreamCancel.Handle(job, instance);
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
            if (result is not UpstreamPoll.Transient)
            {
                _retries.Succeeded(job.TaskId);
            }

            switch (result)
            {
                case UpstreamPoll.Running running:
                    var progress = running.Progress is { } p ? Math.Max(p, job.LastProgress) : job.LastProgress;
                    var due = _polling.TryGetValue(job.TaskId, out var again) && again ? now : now + PollSchedule.Next(age, progress, options.Value);
                    Log.Running(logger, job.TaskId, job.ProviderId, running.Progress, due - now);
                    await jobs.RecordPollAsync(job.TaskId, due, running.Progress, ct);
                    break;
                case UpstreamPoll.Transient transient:
                    // A failed poll says nothing about the job: ask again soon (then less often while it keeps failing),
                    // never later than the schedule would have.
                    var next = _retries.Failed(job.TaskId, PollSchedule.Next(age, job.LastProgress, options.Value));
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
                    var seenAt = clock.GetTimestamp();
                    Log.Done(logger, job.TaskId, job.ProviderId);
                    // The upstream's cost (if it reported one) is recorded with the lease: it billed us whatever happens next.
                    if (await jobs.TryLeaseDoneAsync(job.TaskId, me.Owner, now, now + options.Value.PollLease, done.CostUsdTicks, ct))
                    {
                        finishes.Enqueue(new FinishJob(job, instance, handle, done, seenAt, clock.GetTimestamp()));
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
    }

    private async Task FailAsync(UpstreamJobRow job, string code, string message, bool cancelUpstream)
    {
        var now = clock.GetUtcNow();
        if (!await jobs.TryLeaseAsync(job.TaskId, me.Owner, now, now + options.Value.PollLease, CancellationToken.None))
        {
            return;
        }

        await endings.FailJobAsync(job, code, message);

        if (cancelUpstream && registry.Instance(job.ProviderId) is { } instance && job.UpstreamId is not null)
        {
            await cancel.TryAsync(job.TaskId, instance, UpstreamCancel.Handle(job, instance));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Debug, Message = "Task {TaskId}: {Provider} says running ({Progress} %); next poll in {Next}")]
        public static partial void Running(ILogger logger, string taskId, string provider, int? progress, TimeSpan next);

        [LoggerMessage(Level = LogLevel.Debug, Message = "Task {TaskId}: {Provider} says done")]
        public static partial void Done(ILogger logger, string taskId, string provider);

        [LoggerMessage(Level = LogLevel.Debug, Message = "Task {TaskId}: poll of {Provider} inconclusive ({Reason}); polling again later")]
        public static partial void Transient(ILogger logger, string taskId, string provider, string reason);

        [LoggerMessage(Level = LogLevel.Error, Message = "Polling task {TaskId} failed")]
        public static partial void PollFailed(ILogger logger, string taskId, Exception exception);

        [LoggerMessage(Level = LogLevel.Error, Message = "Tracker loop failed")]
        public static partial void LoopFailed(ILogger logger, Exception exception);
    }
}
