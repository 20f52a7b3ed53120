using Microsoft.Extensions.Options;
using Vidgate.Server.Providers;
using Vidgate.Server.Providers.Registry;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Workers;

/// <summary>
/// The submit of a task claimed for remote providers: routes in priority order (weighted among equals);
/// <c>Unavailable</c> (429, 5xx, timeout, connection error) moves to the next route, <c>Rejected</c> fails the task, a
/// refused key tries the instance's next key. When no route took it the task is queued again after
/// <see cref="UpstreamOptions.RetryDelay"/> (or the longest 429 pause), until the deadline.
/// </summary>
internal sealed partial class RemoteSubmit(
    IUpstreamJobStore jobs,
    UpstreamRegistry registry,
    TaskImages taskImages,
    SubmitCall call,
    TaskEndings endings,
    WorkerIdentity me,
    TimeProvider clock,
    IOptions<UpstreamOptions> options,
    ILogger<RemoteSubmit> logger)
{
    private IReadOnlyDictionary<string, int> _inFlight = new Dictionary<string, int>();
    private DateTimeOffset _inFlightAt;

    public async Task SubmitAsync(VideoTask task, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (now - task.CreatedAt > options.Value.Deadline)
        {
            await endings.FailAsync(task.Id, task.Provider, "upstream_unavailable",
                $"No upstream provider accepted the task within {options.Value.Deadline.TotalMinutes:0.#} minutes; every route was unavailable.");
            return;
        }

        var plan = await PlanAsync(task, ct);
        if (plan.Count == 0)
        {
            await endings.FailAsync(task.Id, task.Provider, "no_upstream_route", $"Model '{task.Model}' has no upstream provider route any more; an operator removed it.");
            return;
        }

        var images = await taskImages.LoadAsync(task, ct);
        TimeSpan? soonest = null;
        var keysRefused = 0;
        var refusals = new List<UpstreamSubmit.Rejected>();
        foreach (var (instance, routeModel, pinnedKey) in plan)
        {
            // A route that cannot take the request as asked (fit: "strict", an input it cannot receive) is skipped for one
            // that can; only when none can does the task fail, with the first refusal (the create refused most such already).
            if (instance.FitOf(task, images, routeModel) is RequestFit.Refuses refuses)
            {
                refusals.Add(refuses.Rejected);
                continue;
            }

            if (instance.Gate.PausedUntil is { } paused)
            {
                soonest = Min(soonest, paused - now);
                continue;
            }

            if (await AtCapacityAsync(instance, ct))
            {
                continue;
            }

            // An open breaker is skipped like a full instance; half-open lets one submit through as the probe.
            if (!instance.Health.TryEnter(out var breakerRetry))
            {
                soonest = Min(soonest, breakerRetry);
                continue;
            }

            // Each of the instance's keys in turn while the upstream refuses them (a revoked or mistyped key is the
            // operator's problem, not the task's); any other answer ends this route.
            while (true)
            {
                if ((pinnedKey ?? instance.NextUsableKey(clock.GetUtcNow())) is not { } key)
                {
                    instance.Health.NoGoodKey("every API key of the instance was refused (401/403)");
                    keysRefused++;
                    break;
                }

                var (attempt, retryAfter) = await call.TryAsync(task, instance, routeModel, key, images, ct);
                if (attempt is SubmitAttempt.KeyRefused)
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

                if (attempt != SubmitAttempt.Unavailable)
                {
                    return;
                }

                soonest = retryAfter is { } r ? Min(soonest, r) : soonest;
                break;
            }
        }

        if (refusals.Count == plan.Count)
        {
            Log.NoRouteFits(logger, task.Id, plan.Count, refusals[0].Code);
            await endings.FailAsync(task.Id, task.Provider, refusals[0].Code, refusals[0].Message);
            return;
        }

        if (keysRefused > 0 && keysRefused + refusals.Count == plan.Count)
        {
            // No route can take it until an operator fixes the keys: fail now (the hold is released), not at the deadline.
            await endings.FailAsync(task.Id, task.Provider, "upstream_auth_failed",
                $"Every upstream provider for model '{task.Model}' refused its API keys; an operator must fix the provider keys.");
            return;
        }

        var delay = soonest is { } s && s > options.Value.RetryDelay ? s : options.Value.RetryDelay;
        if (await jobs.DeferAsync(task.Id, me.Owner, clock.GetUtcNow() + delay, CancellationToken.None))
        {
            Log.Deferred(logger, task.Id, plan.Count, delay.TotalSeconds);
        }
    }

    /// <summary>The remote instances to try, in order. A remix goes to the instance and key that made its source.</summary>
    private async Task<List<(UpstreamInstance Instance, string RouteModel, int? Key)>> PlanAsync(VideoTask task, CancellationToken ct)
    {
        if (task.RemixedFromId is { } source && await jobs.GetAsync(source, ct) is { } made && registry.Instance(made.ProviderId) is { IsLocal: false } pinned)
        {
            return [(pinned, task.Model, made.KeyIndex)];
        }

        var plan = new List<(UpstreamInstance, string, int?)>();
        foreach (var route in registry.TryOrder(task.Model))
        {
            // Local providers take their tasks in their own lanes (a task is planned for them at create).
            if (registry.Instance(route.ProviderId) is { IsLocal: false } instance && !plan.Any(p => p.Item1 == instance))
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

    private static TimeSpan? Min(TimeSpan? a, TimeSpan b) => a is { } x && x < b ? x : b;

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId}: {Provider} refused its API key #{KeyIndex} (401/403); that key sits out {Minutes:0.#} min, trying the next key or route")]
        public static partial void KeyRefused(ILogger logger, string taskId, string provider, int keyIndex, double minutes);

        [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId}: none of {Routes} route(s) can take it as asked ({Code}); failed without a call")]
        public static partial void NoRouteFits(ILogger logger, string taskId, int routes, string code);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId}: none of {Routes} route(s) took it; retrying in {Seconds:0.#} s")]
        public static partial void Deferred(ILogger logger, string taskId, int routes, double seconds);
    }
}
