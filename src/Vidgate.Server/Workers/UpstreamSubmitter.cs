using Microsoft.Extensions.Options;
using Vidgate.Server.Hosting;
using Vidgate.Server.Providers;
using Vidgate.Server.Providers.Registry;
using Vidgate.Server.Storage;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Workers;

/// <summary>
/// Claims queued tasks routed to remote providers and submits each one: routes in priority order (weighted among
/// equals); <c>Unavailable</c> (429, 5xx, timeout, connection error) moves to the next route, <c>Rejected</c> fails the
/// task. The task is marked <c>submitting</c> on that instance before the paid call and switched to tracking the moment
/// the upstream id is known, so a crash in between is found and reconciled by the <see cref="Tracker"/>, never
/// submitted twice.
/// </summary>
internal sealed partial class UpstreamSubmitter(
    ITaskStore store,
    IUpstreamJobStore jobs,
    IBlobStore blobs,
    UpstreamRegistry registry,
    UpstreamSignals signals,
    WorkerIdentity me,
    TimeProvider clock,
    IOptions<VidgateOptions> vidgate,
    IOptions<UpstreamOptions> options,
    ILogger<UpstreamSubmitter> logger) : BackgroundService
{
    private static readonly string[] Claimable = [UpstreamRegistry.TaskProvider];
    private IReadOnlyDictionary<string, int> _inFlight = new Dictionary<string, int>();
    private DateTimeOffset _inFlightAt;

    /// <summary>How one attempt on one route ended.</summary>
    private enum Attempt
    {
        Accepted,
        Ended,
        Unavailable,
        KeyRefused,
        Lost,
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
        => Task.WhenAll(Enumerable.Range(0, options.Value.SubmitConcurrency).Select(_ => LoopAsync(stoppingToken)));

    private async Task LoopAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            VideoTask? task;
            try
            {
                var now = clock.GetUtcNow();

                // A read first: idle loops must not cost a write (and an fsync) each on a server that renders locally.
                task = await jobs.AnyQueuedAsync(UpstreamRegistry.TaskProvider, now, stoppingToken)
                    ? await store.TryClaimAsync(Claimable, me.Owner, now, now + vidgate.Value.LeaseDuration, stoppingToken)
                    : null;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.ClaimFailed(logger, ex);
                await signals.Submit.WaitAsync(vidgate.Value.IdlePollInterval, stoppingToken);
                continue;
            }

            if (task is null)
            {
                await signals.Submit.WaitAsync(vidgate.Value.IdlePollInterval, stoppingToken);
                continue;
            }

            signals.Submit.Notify();
            try
            {
                await SubmitAsync(task, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Left as it is: queued tasks are re-claimed, a 'submitting' one is reconciled after its lease lapses.
                return;
            }
            catch (Exception ex)
            {
                // Whether the upstream took it is unknown: the lease lapses and the tracker reconciles it.
                Log.SubmitCrashed(logger, task.Id, ex);
            }
        }
    }

    private async Task SubmitAsync(VideoTask task, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (now - task.CreatedAt > options.Value.Deadline)
        {
            await FailAsync(task.Id, "upstream_unavailable",
                $"No upstream provider accepted the task within {options.Value.Deadline.TotalMinutes:0.#} minutes; every route was unavailable.");
            return;
        }

        var plan = await PlanAsync(task, ct);
        if (plan.Count == 0)
        {
            await FailAsync(task.Id, "no_upstream_route", $"Model '{task.Model}' has no upstream provider route any more; an operator removed it.");
            return;
        }

        var images = await LoadImagesAsync(task, ct);
        TimeSpan? soonest = null;
        var keysRefused = 0;
        foreach (var (instance, routeModel, pinnedKey) in plan)
        {
            if (instance.Gate.PausedUntil is { } paused)
            {
                soonest = Min(soonest, paused - now);
                continue;
            }

            if (await AtCapacityAsync(instance, ct))
            {
                continue;
            }

            // Each of the instance's keys in turn while the upstream refuses them (a revoked or mistyped key is the
            // operator's problem, not the task's); any other answer ends this route.
            while (true)
            {
                if ((pinnedKey ?? instance.NextUsableKey(clock.GetUtcNow())) is not { } key)
                {
                    keysRefused++;
                    break;
                }

                var (attempt, retryAfter) = await TryRouteAsync(task, instance, routeModel, key, images, ct);
                if (attempt is Attempt.KeyRefused)
                {
                    instance.RefuseKey(key, clock.GetUtcNow() + options.Value.RefusedKeyPause);
                    Log.KeyRefused(logger, task.Id, instance.Settings.Id, key % instance.Settings.ApiKeys.Count, options.Value.RefusedKeyPause.TotalMinutes);
                    if (pinnedKey is null)
                    {
                        continue;
                    }

                    keysRefused++;
                    break;
                }

                if (attempt != Attempt.Unavailable)
                {
                    return;
                }

                soonest = retryAfter is { } r ? Min(soonest, r) : soonest;
                break;
            }
        }

        if (keysRefused == plan.Count)
        {
            // No route can take it until an operator fixes the keys: fail now (the hold is released), not at the deadline.
            await FailAsync(task.Id, "upstream_auth_failed",
                $"Every upstream provider for model '{task.Model}' refused its API keys; an operator must fix the provider keys.");
            return;
        }

        var delay = soonest is { } s && s > options.Value.RetryDelay ? s : options.Value.RetryDelay;
        if (await jobs.DeferAsync(task.Id, me.Owner, clock.GetUtcNow() + delay, CancellationToken.None))
        {
            Log.Deferred(logger, task.Id, plan.Count, delay.TotalSeconds);
        }
    }

    /// <summary>
    /// One submit to one instance. Also used by the tracker to resubmit an interrupted submit to an upstream that
    /// honours idempotency keys (same instance, same key, same idempotency key: the upstream returns the same job).
    /// </summary>
    private async Task<(Attempt, TimeSpan?)> TryRouteAsync(
        VideoTask task, UpstreamInstance instance, string routeModel, int keyIndex, IReadOnlyList<UpstreamImage> images, CancellationToken ct)
    {
        var settings = instance.Settings;
        keyIndex %= settings.ApiKeys.Count;
        var now = clock.GetUtcNow();

        // The call may take up to the instance's timeout: hold the lease past it, so nobody reconciles a live submit.
        if (!await store.HeartbeatAsync(task.Id, me.Owner, now + settings.RequestTimeout + vidgate.Value.LeaseDuration, 0, ct)
            || !await jobs.BeginSubmitAsync(task.Id, me.Owner, settings.Id, keyIndex, now, task.CreatedAt + options.Value.Deadline, ct))
        {
            return (Attempt.Lost, null);
        }

        await instance.Gate.WaitAsync(ct);
        var upstreamModel = settings.ModelMap.TryGetValue(task.Model, out var mapped) ? mapped : settings.UpstreamModel(routeModel);
        var result = await instance.Provider.SubmitAsync(new UpstreamJob(task, images, upstreamModel, settings.ApiKeys[keyIndex], task.Id), ct);
        if (result is UpstreamSubmit.Unavailable { KeyRefused: false, RetryAfter: null } unanswered
            && await instance.LookUpAsync(task.Id, settings.ApiKeys[keyIndex], ct) is UpstreamLookup.Found found)
        {
            // A timeout or a 5xx after the upstream had already queued the job (ComfyUI does not deduplicate): sending it
            // to the next route, or again later, would render it twice. The job it has is adopted instead.
            Log.FoundAfterFailedSubmit(logger, task.Id, settings.Id, unanswered.Reason);
            result = new UpstreamSubmit.Accepted(found.UpstreamId, found.State);
        }

        switch (result)
        {
            case UpstreamSubmit.Accepted accepted:
                var at = clock.GetUtcNow();
                if (await jobs.AcceptedAsync(task.Id, me.Owner, accepted.UpstreamId, accepted.State, at, at + options.Value.MinPollInterval, CancellationToken.None))
                {
                    Log.Accepted(logger, task.Id, settings.Id, accepted.UpstreamId);
                    signals.Track.Notify();
                }
                else
                {
                    // Cancelled while the call was in flight: the job exists upstream; ask it to stop.
                    Log.AcceptedAfterCancel(logger, task.Id, settings.Id);
                    await jobs.MarkFinishedAsync(task.Id, CancellationToken.None);
                    await TryCancelUpstreamAsync(instance, new UpstreamHandle(settings.Id, accepted.UpstreamId, keyIndex, settings.ApiKeys[keyIndex], accepted.State));
                }

                return (Attempt.Accepted, null);
            case UpstreamSubmit.Rejected rejected:
                Log.Rejected(logger, task.Id, settings.Id, rejected.Code);
                await FailAsync(task.Id, rejected.Code, rejected.Message);
                return (Attempt.Ended, null);
            case UpstreamSubmit.Unavailable unavailable:
                if (!unavailable.KeyRefused)
                {
                    Log.Unavailable(logger, task.Id, settings.Id, unavailable.Reason);
                }

                if (unavailable.RetryAfter is { } retryAfter)
                {
                    instance.Gate.Pause(retryAfter);
                }

                return (unavailable.KeyRefused ? Attempt.KeyRefused : Attempt.Unavailable, unavailable.RetryAfter);
            default:
                throw new System.Diagnostics.UnreachableException();
        }
    }

    /// <summary>Resubmits a leased task found 'submitting' after a crash to the same instance and key.</summary>
    public async Task<bool> ResubmitAsync(VideoTask task, UpstreamInstance instance, int keyIndex, CancellationToken ct)
    {
        var images = await LoadImagesAsync(task, ct);
        var (attempt, _) = await TryRouteAsync(task, instance, task.Model, keyIndex, images, ct);
        return attempt is not (Attempt.Unavailable or Attempt.KeyRefused);
    }

    /// <summary>The instances to try, in order. A remix goes to the instance and key that made its source.</summary>
    private async Task<List<(UpstreamInstance Instance, string RouteModel, int? Key)>> PlanAsync(VideoTask task, CancellationToken ct)
    {
        if (task.RemixedFromId is { } source && await jobs.GetAsync(source, ct) is { } made && registry.Instance(made.ProviderId) is { } pinned)
        {
            return [(pinned, task.Model, made.KeyIndex)];
        }

        var plan = new List<(UpstreamInstance, string, int?)>();
        foreach (var route in registry.TryOrder(task.Model))
        {
            if (registry.Instance(route.ProviderId) is { } instance && !plan.Any(p => p.Item1 == instance))
            {
                plan.Add((instance, route.Model, null));
            }
        }

        return plan;
    }

    private async Task<bool> AtCapacityAsync(UpstreamInstance instance, CancellationToken ct)
    {
        var max = instance.Settings.MaxConcurrentJobs;
        if (max <= 0)
        {
            return false;
        }

        // Counted from the store (all nodes), refreshed at most once a second: a small overshoot beats a query per submit.
        if (clock.GetUtcNow() - _inFlightAt > TimeSpan.FromSeconds(1))
        {
            _inFlight = await jobs.InFlightAsync(ct);
            _inFlightAt = clock.GetUtcNow();
        }

        return _inFlight.GetValueOrDefault(instance.Settings.Id) >= max;
    }

    private async Task<IReadOnlyList<UpstreamImage>> LoadImagesAsync(VideoTask task, CancellationToken ct)
    {
        var images = new List<UpstreamImage>(task.InputKeys.Count);
        foreach (var key in task.InputKeys)
        {
            if (await blobs.OpenReadAsync(key, ct) is not { } blob)
            {
                continue;
            }

            await using var stream = blob.Stream;
            using var buffer = new MemoryStream((int)blob.Length);
            await stream.CopyToAsync(buffer, ct);
            images.Add(new UpstreamImage(buffer.ToArray(), Path.GetExtension(key).ToLowerInvariant() switch
            {
                ".png" => "image/png",
                ".webp" => "image/webp",
                _ => "image/jpeg",
            }));
        }

        return images;
    }

    private async Task FailAsync(string taskId, string code, string message)
    {
        if (await store.FailAsync(taskId, me.Owner, code, message, clock.GetUtcNow(), CancellationToken.None))
        {
            await jobs.MarkFinishedAsync(taskId, CancellationToken.None);
            await blobs.DeletePrefixAsync(TaskBlobs.InputPrefix(taskId), CancellationToken.None);
            Log.Failed(logger, taskId, code);
        }
    }

    private async Task TryCancelUpstreamAsync(UpstreamInstance instance, UpstreamHandle handle)
    {
        try
        {
            using var timeout = new CancellationTokenSource(instance.Settings.RequestTimeout);
            await instance.Provider.CancelAsync(handle, timeout.Token);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            Log.CancelFailed(logger, handle.ProviderId, ex.Message);
        }
    }

    private static TimeSpan? Min(TimeSpan? a, TimeSpan b) => a is { } x && x < b ? x : b;

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId} accepted by {Provider} as {UpstreamId}")]
        public static partial void Accepted(ILogger logger, string taskId, string provider, string upstreamId);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId}: {Provider} unavailable ({Reason}); trying the next route")]
        public static partial void Unavailable(ILogger logger, string taskId, string provider, string reason);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId}: {Provider} refused its API key #{KeyIndex} (401/403); that key sits out {Minutes:0.#} min, trying the next key or route")]
        public static partial void KeyRefused(ILogger logger, string taskId, string provider, int keyIndex, double minutes);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId}: the submit to {Provider} seemed to fail ({Reason}) but the upstream has the job; adopting it")]
        public static partial void FoundAfterFailedSubmit(ILogger logger, string taskId, string provider, string reason);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId} rejected by {Provider}: {Code}")]
        public static partial void Rejected(ILogger logger, string taskId, string provider, string code);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId} failed: {Code}")]
        public static partial void Failed(ILogger logger, string taskId, string code);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId}: none of {Routes} route(s) took it; retrying in {Seconds:0.#} s")]
        public static partial void Deferred(ILogger logger, string taskId, int routes, double seconds);

        [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId} was cancelled while {Provider} accepted it; asking the upstream to stop")]
        public static partial void AcceptedAfterCancel(ILogger logger, string taskId, string provider);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Upstream cancel on {Provider} failed: {Reason}")]
        public static partial void CancelFailed(ILogger logger, string provider, string reason);

        [LoggerMessage(Level = LogLevel.Error, Message = "Claiming upstream work failed")]
        public static partial void ClaimFailed(ILogger logger, Exception exception);

        [LoggerMessage(Level = LogLevel.Error, Message = "Submitting task {TaskId} failed unexpectedly; it will be reconciled")]
        public static partial void SubmitCrashed(ILogger logger, string taskId, Exception exception);
    }
}
