using Microsoft.Extensions.Options;
using Vidgate.Server.Providers;
using Vidgate.Server.Providers.Registry;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Workers;

/// <summary>How one submit to one remote instance ended.</summary>
internal enum SubmitAttempt
{
    /// <summary>The upstream has the job; the task is tracked from now on.</summary>
    Accepted,

    /// <summary>The task ended (rejected, failed).</summary>
    Ended,

    /// <summary>Not taken (429, 5xx, timeout, connection): the next route may be tried.</summary>
    Unavailable,

    /// <summary>The upstream refused the API key (401/403).</summary>
    KeyRefused,

    /// <summary>The lease was lost (cancelled, taken over) before the call: nothing was sent.</summary>
    Lost,
}

/// <summary>
/// One submit of a leased task to one remote instance with one key, crash-safe: the lease is extended past the call's
/// timeout and the task marked <c>submitting</c> on that instance before the paid call, and switched to tracking the
/// moment the upstream id is known. Used by the <see cref="Submitter"/> for each route and by the
/// <see cref="Reconciler"/> to send an interrupted submit again to the same instance and key.
/// </summary>
internal sealed partial class SubmitCall(
    ITaskStore store,
    IUpstreamJobStore jobs,
    TaskEndings endings,
    UpstreamCancel cancel,
    WorkSignals signals,
    WorkerIdentity me,
    TimeProvider clock,
    IOptions<VidgateOptions> vidgate,
    IOptions<UpstreamOptions> options,
    ILogger<SubmitCall> logger)
{
    public async Task<(SubmitAttempt Attempt, TimeSpan? RetryAfter)> TryAsync(
        VideoTask task, UpstreamInstance instance, string routeModel, int keyIndex, IReadOnlyList<UpstreamImage> images, CancellationToken ct)
    {
        var settings = instance.Settings;
        keyIndex %= settings.ApiKeys.Count;
        var now = clock.GetUtcNow();

        // The call may take up to the instance's timeout: hold the lease past it, so nobody reconciles a live submit.
        if (!await store.HeartbeatAsync(task.Id, me.Owner, now + settings.RequestTimeout + vidgate.Value.LeaseDuration, 0, ct)
            || !await jobs.BeginSubmitAsync(task.Id, me.Owner, settings.Id, keyIndex, now, task.CreatedAt + options.Value.Deadline, ct))
        {
            instance.Health.Neutral();
            return (SubmitAttempt.Lost, null);
        }

        await instance.Gate.WaitAsync(ct);
        var job = new UpstreamJob(task, images, instance.UpstreamModel(task.Model, routeModel), settings.ApiKeys[keyIndex], task.Id);
        var started = clock.GetTimestamp();
        var callbackUrl = await CallbackUrlAsync(task, instance, ct);
        var result = await instance.Provider.SubmitAsync(job with { CallbackUrl = callbackUrl }, ct);
        RecordHealth(instance, result, clock.GetElapsedTime(started));
        if (result is UpstreamSubmit.Unavailable { KeyRefused: false, RetryAfter: null } unanswered)
        {
            switch (await instance.LookUpAsync(task.Id, settings.ApiKeys[keyIndex], ct))
            {
                case UpstreamLookup.Found found:
                    // A timeout or a 5xx after the upstream had already queued the job (ComfyUI does not deduplicate): sending it
                    // to the next route, or again later, would render it twice. The job it has is adopted instead.
                    Log.FoundAfterFailedSubmit(logger, task.Id, settings.Id, unanswered.Reason);
                    result = new UpstreamSubmit.Accepted(found.UpstreamId, found.State);
                    break;
                case UpstreamLookup.NotFound when unanswered.Ambiguous:
                    // The upstream says it has no such job: the lost answer was not a job made, so failing over is safe.
                    result = unanswered with { Ambiguous = false };
                    break;
            }
        }

        switch (result)
        {
            case UpstreamSubmit.Accepted accepted:
                var at = clock.GetUtcNow();

                // What the upstream model really makes of it (a snapped length or size) is what the task shows from now on.
                var delivered = (instance.Fit?.Fit(job) as RequestFit.Takes)?.Delivered;
                if (await jobs.AcceptedAsync(task.Id, me.Owner, accepted.UpstreamId, accepted.State, at, at + options.Value.MinPollInterval, delivered, CancellationToken.None))
                {
                    Log.Accepted(logger, task.Id, settings.Id, accepted.UpstreamId);
                    signals.Track.Notify();
                }
                else
                {
                    // Cancelled while the call was in flight: the job exists upstream; ask it to stop.
                    Log.AcceptedAfterCancel(logger, task.Id, settings.Id);
                    await jobs.MarkFinishedAsync(task.Id, CancellationToken.None);
                    await cancel.TryAsync(task.Id, instance, new UpstreamHandle(settings.Id, accepted.UpstreamId, keyIndex, settings.ApiKeys[keyIndex], accepted.State));
                }

                return (SubmitAttempt.Accepted, null);
            case UpstreamSubmit.Rejected rejected:
                Log.Rejected(logger, task.Id, settings.Id, rejected.Code);
                await endings.FailAsync(task.Id, settings.Id, rejected.Code, rejected.Message);
                return (SubmitAttempt.Ended, null);
            case UpstreamSubmit.Unavailable { Ambiguous: true } ambiguous when settings.OnAmbiguousSubmit == AmbiguousSubmit.Fail:
                Log.AmbiguousFailed(logger, task.Id, settings.Id, ambiguous.Reason);
                await endings.FailAsync(task.Id, settings.Id, "upstream_ambiguous",
                    "The upstream provider may have accepted this task but its answer was lost; it was not sent elsewhere (so it cannot be made twice) and it was not charged.");
                return (SubmitAttempt.Ended, null);
            case UpstreamSubmit.Unavailable unavailable:
                if (unavailable.Ambiguous)
                {
                    Log.AmbiguousFailover(logger, task.Id, settings.Id, unavailable.Reason);
                }
                else if (!unavailable.KeyRefused)
                {
                    Log.Unavailable(logger, task.Id, settings.Id, unavailable.Reason);
                }

                if (unavailable.RetryAfter is { } retryAfter)
                {
                    instance.Gate.Pause(retryAfter);
                }

                return (unavailable.KeyRefused ? SubmitAttempt.KeyRefused : SubmitAttempt.Unavailable, unavailable.RetryAfter);
            default:
                // Local providers run in their own lanes (LocalRun); a remote one never finishes inside its submit.
                await endings.FailAsync(task.Id, settings.Id, "internal_error", "The server failed while running this task; it was not charged.");
                return (SubmitAttempt.Ended, null);
        }
    }

    /// <summary>
    /// A fresh callback URL for this submit when the instance has callbacks on and there is a public address to be called
    /// at; its secret's hash is stored first, so a callback can never outrun what it is checked against. Null: polling only.
    /// </summary>
    private async Task<string?> CallbackUrlAsync(VideoTask task, UpstreamInstance instance, CancellationToken ct)
    {
        if (instance.Callbacks is not { CallbacksOn: true } || vidgate.Value.PublicBaseUrl is not { Length: > 0 } root)
        {
            return null;
        }

        var (token, hash) = CallbackTokens.New();
        return await jobs.SetCallbackAsync(task.Id, me.Owner, hash, ct) ? CallbackTokens.Url(root, instance.Settings.Id, token) : null;
    }

    /// <summary>
    /// The breaker learns from the submit's answer: any answer of the upstream about the request (accepted, refused)
    /// shows it is up; a 5xx, a timeout or a reset counts against it; a 429 pause or a refused key says nothing of it.
    /// </summary>
    private static void RecordHealth(UpstreamInstance instance, UpstreamSubmit result, TimeSpan latency)
    {
        switch (result)
        {
            case UpstreamSubmit.Unavailable { KeyRefused: true } or UpstreamSubmit.Unavailable { RetryAfter: not null }:
                instance.Health.Neutral();
                break;
            case UpstreamSubmit.Unavailable unavailable:
                instance.Health.Failed(unavailable.Reason, latency);
                break;
            default:
                instance.Health.Succeeded(latency);
                break;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId} accepted by {Provider} as {UpstreamId}")]
        public static partial void Accepted(ILogger logger, string taskId, string provider, string upstreamId);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId}: {Provider} unavailable ({Reason}); trying the next route")]
        public static partial void Unavailable(ILogger logger, string taskId, string provider, string reason);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId} rejected by {Provider}: {Code}")]
        public static partial void Rejected(ILogger logger, string taskId, string provider, string code);

        [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId} was cancelled while {Provider} accepted it; asking the upstream to stop")]
        public static partial void AcceptedAfterCancel(ILogger logger, string taskId, string provider);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId}: ambiguous submit to {Provider} ({Reason}): it may have the job; trying the next route (on_ambiguous_submit failover)")]
        public static partial void AmbiguousFailover(ILogger logger, string taskId, string provider, string reason);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId}: ambiguous submit to {Provider} ({Reason}): it may have the job; failing the task with a refund (on_ambiguous_submit fail)")]
        public static partial void AmbiguousFailed(ILogger logger, string taskId, string provider, string reason);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId}: the submit to {Provider} seemed to fail ({Reason}) but the upstream has the job; adopting it")]
        public static partial void FoundAfterFailedSubmit(ILogger logger, string taskId, string provider, string reason);
    }
}
