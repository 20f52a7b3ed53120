using Microsoft.Extensions.Options;
using Vidgate.Server.Models;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Providers.Registry;

/// <summary>A built provider instance with its traffic gate. <see cref="IsLocal"/>: it works on this node (builtin).</summary>
internal sealed class UpstreamInstance(IVideoProvider provider, InstanceGate gate, TimeProvider clock, bool isLocal = false)
{
    private readonly long[] _refusedUntil = new long[provider.Settings.ApiKeys.Count];
    private int _nextKey = -1;

    public IVideoProvider Provider => provider;

    /// <summary>True for a provider that does its work on this node inside the submit (builtin); false for a remote one.</summary>
    public bool IsLocal => isLocal;

    public UpstreamSettings Settings => provider.Settings;

    public InstanceGate Gate => gate;

    /// <summary>The provider's own credential check (under the metering wrappers), or null where it has none.</summary>
    public ICredentialCheck? Check { get; init; }

    /// <summary>The provider's own answer to what it makes of a request (under the metering wrappers), or null: it takes everything as asked.</summary>
    public IRequestFit? Fit { get; init; }

    /// <summary>The model name sent upstream for <paramref name="model"/> on a route of <paramref name="routeModel"/>: the instance's map first, then the route's (an alias is sent as its target).</summary>
    public string UpstreamModel(string model, string routeModel)
        => Settings.ModelMap.TryGetValue(model, out var mapped) ? mapped : Settings.UpstreamModel(routeModel);

    /// <summary>What this instance makes of <paramref name="task"/> on a route of <paramref name="routeModel"/>, before anything is sent.</summary>
    public RequestFit FitOf(VideoTask task, IReadOnlyList<UpstreamImage> images, string routeModel)
        => Fit?.Fit(new UpstreamJob(task, images, UpstreamModel(task.Model, routeModel), "", task.Id)) ?? new RequestFit.Takes(null);

    /// <summary>The provider's upstream callbacks (under the metering wrappers), or null where the type has none.</summary>
    public IUpstreamCallbacks? Callbacks { get; init; }

    /// <summary>This node's circuit breaker and recent record of the instance's submits.</summary>
    public InstanceHealth Health { get; } = new(clock);

    /// <summary>How many of the instance's keys the upstream refused lately (they sit out, kept, never shown).</summary>
    public int BadKeyCount(DateTimeOffset now) => _refusedUntil.Count(until => until > now.UtcTicks);

    /// <summary>Spreads new jobs over the instance's keys in turn.</summary>
    public int NextKeyIndex() => (int)((uint)Interlocked.Increment(ref _nextKey) % (uint)Settings.ApiKeys.Count);

    /// <summary>The next key in turn that the upstream has not refused lately; null when it refused them all.</summary>
    public int? NextUsableKey(DateTimeOffset now)
    {
        for (var tried = 0; tried < _refusedUntil.Length; tried++)
        {
            var index = NextKeyIndex();
            if (Volatile.Read(ref _refusedUntil[index]) <= now.UtcTicks)
            {
                return index;
            }
        }

        return null;
    }

    /// <summary>
    /// Asks the upstream, through this instance's rate gate, whether it has the job of <paramref name="taskId"/>. The call
    /// is bounded by two request timeouts; any failure of its own is <see cref="UpstreamLookup.Unknown"/>, never a throw
    /// (only <paramref name="ct"/> ending is).
    /// </summary>
    public async Task<UpstreamLookup> LookUpAsync(string taskId, string apiKey, CancellationToken ct)
    {
        try
        {
            using var timeout = new CancellationTokenSource(2 * Settings.RequestTimeout, clock);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
            await Gate.WaitAsync(linked.Token);
            return await Provider.FindAsync(taskId, apiKey, linked.Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return new UpstreamLookup.Unknown(ex.GetType().Name);
        }
    }

    /// <summary>Leaves a key the upstream refused (401/403) out of the rotation until <paramref name="until"/>.</summary>
    public void RefuseKey(int index, DateTimeOffset until) => Volatile.Write(ref _refusedUntil[index % _refusedUntil.Length], until.UtcTicks);
}

/// <summary>
/// The provider instances and routes in effect on this node. Local providers (builtin) are registered in DI and always
/// present; remote instances and routes are read from the database at start, after every admin edit, and every
/// <see cref="UpstreamOptions.ReloadInterval"/> (edits made on other nodes). Remote instances are rebuilt only when their
/// settings change, so their rate gates and connection pools survive a reload; each is passed through the registered
/// <see cref="ProviderWrapper"/>s (metering) when built.
/// </summary>
internal sealed partial class UpstreamRegistry(
    IUpstreamConfigStore store,
    IEnumerable<IVideoProviderType> types,
    IEnumerable<IVideoProvider> locals,
    IEnumerable<ProviderWrapper> wrappers,
    ModelCatalog catalog,
    TimeProvider clock,
    IOptions<UpstreamOptions> options,
    ILogger<UpstreamRegistry> logger) : IDisposable
{
    private readonly Dictionary<string, IVideoProviderType> _types = types.ToDictionary(t => t.Type, StringComparer.Ordinal);
    private readonly Dictionary<string, UpstreamInstance> _locals = locals.ToDictionary(
        p => p.Settings.Id, p => new UpstreamInstance(p, new InstanceGate(0, clock), clock, isLocal: true), StringComparer.Ordinal);
    private readonly ProviderWrapper[] _wrappers = [.. wrappers];
    private readonly SemaphoreSlim _reload = new(1, 1);
    private volatile Snapshot? _snapshot;
    private DateTimeOffset _loadedAt;

    public IReadOnlyCollection<string> Types => _types.Keys;

    public IVideoProviderType? Type(string name) => _types.GetValueOrDefault(name);

    /// <summary>The instance named <paramref name="id"/>, or null when it was removed (or its type is not installed).</summary>
    public UpstreamInstance? Instance(string id) => _locals.GetValueOrDefault(id) ?? Current().Instances.GetValueOrDefault(id);

    /// <summary>The providers that work on this node (builtin): each claims its own tasks, up to its concurrency.</summary>
    public IReadOnlyCollection<UpstreamInstance> LocalInstances => _locals.Values;

    /// <summary>True when tasks of provider <paramref name="id"/> run on this node (claimed by its local lane).</summary>
    public bool IsLocal(string id) => _locals.ContainsKey(id);

    /// <summary>
    /// The provider a new task of <paramref name="model"/> is planned for, stored on the task: the first route's instance
    /// when the model has routes (the submit may fail over to the others), otherwise the catalog's (builtin by default,
    /// so a fresh install works offline).
    /// </summary>
    public string PlannedProvider(string model) => Routes(model) is [var first, ..] ? first.ProviderId : catalog.ProviderFor(model);

    /// <summary>The routes of <paramref name="model"/>, falling back to those of the models it aliases (in chain order), by priority.</summary>
    public IReadOnlyList<RouteRecord> Routes(string model)
    {
        var routes = Current().Routes;
        if (routes.TryGetValue(model, out var own))
        {
            return own;
        }

        foreach (var target in catalog.AliasChain(model).Skip(1))
        {
            if (routes.TryGetValue(target, out var aliased))
            {
                return aliased;
            }
        }

        return [];
    }

    /// <summary>
    /// Whether any route of the task's model can take it as asked, asked once at create so that a request no route can
    /// make is refused before a hold is taken. Null when one can (or the model has no built remote route: it runs
    /// locally, or fails at submit as before); otherwise a refusal, preferring one of the request's own values
    /// (<see cref="UpstreamSubmit.Rejected.Fit"/>) over one of the server's setup, each the first in priority order.
    /// </summary>
    public UpstreamSubmit.Rejected? Refusal(VideoTask task, IReadOnlyList<UpstreamImage> images)
    {
        UpstreamSubmit.Rejected? first = null;
        foreach (var route in Routes(task.Model))
        {
            // An instance this node could not build is skipped at submit too: it says nothing about the request.
            if (Instance(route.ProviderId) is not { } instance)
            {
                continue;
            }

            if (instance.FitOf(task, images, route.Model) is not RequestFit.Refuses refuses)
            {
                return null;
            }

            first = first is null || (first.Fit is null && refuses.Rejected.Fit is not null) ? refuses.Rejected : first;
        }

        return first;
    }

    /// <summary>
    /// The order to try <paramref name="model"/>'s routes in: ascending priority; among equal priorities a weighted
    /// random order (weight 3 is picked first three times as often as weight 1).
    /// </summary>
    public IReadOnlyList<RouteRecord> TryOrder(string model)
    {
        var ordered = new List<RouteRecord>();
        foreach (var group in Routes(model).GroupBy(r => r.Priority).OrderBy(g => g.Key))
        {
            var pool = group.ToList();
            while (pool.Count > 0)
            {
                var pick = Random.Shared.NextDouble() * pool.Sum(r => r.Weight);
                var index = 0;
                while (index < pool.Count - 1 && (pick -= pool[index].Weight) >= 0)
                {
                    index++;
                }

                ordered.Add(pool[index]);
                pool.RemoveAt(index);
            }
        }

        return ordered;
    }

    /// <summary>Re-reads the database now (after an admin edit).</summary>
    public async Task ReloadAsync(CancellationToken ct)
    {
        await _reload.WaitAsync(ct);
        try
        {
            var providers = await store.ProvidersAsync(ct);
            var routes = await store.RoutesAsync(ct);
            var previous = _snapshot?.Instances ?? [];
            var instances = new Dictionary<string, UpstreamInstance>(StringComparer.Ordinal);
            foreach (var record in providers)
            {
                var settings = record.Settings;
                if (previous.TryGetValue(settings.Id, out var existing) && SameSettings(existing.Settings, settings))
                {
                    instances[settings.Id] = existing;
                    continue;
                }

                if (_locals.ContainsKey(settings.Id))
                {
                    // A stored instance may not take a local provider's name: routes to that name run locally.
                    Log.ShadowedByLocal(logger, settings.Id);
                    continue;
                }

                if (!_types.TryGetValue(settings.Type, out var type))
                {
                    Log.UnknownType(logger, settings.Id, settings.Type);
                    continue;
                }

                try
                {
                    var inner = type.Create(settings);
                    var provider = _wrappers.Aggregate(inner, (built, wrap) => wrap(built));
                    instances[settings.Id] = new UpstreamInstance(provider, new InstanceGate(settings.MaxRequestsPerSecond, clock), clock)
                    {
                        Check = inner as ICredentialCheck,
                        Fit = inner as IRequestFit,
                        Callbacks = inner as IUpstreamCallbacks,
                    };
                }
                catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException)
                {
                    Log.BuildFailed(logger, settings.Id, ex.Message);
                }
            }

            var byModel = routes.GroupBy(r => r.Model, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => (IReadOnlyList<RouteRecord>)[.. g.OrderBy(r => r.Priority)], StringComparer.Ordinal);
            _snapshot = new Snapshot(instances, byModel);
            _loadedAt = clock.GetUtcNow();
        }
        finally
        {
            _reload.Release();
        }
    }

    private Snapshot Current()
    {
        var snapshot = _snapshot;
        if (snapshot is null || clock.GetUtcNow() - _loadedAt > options.Value.ReloadInterval)
        {
            // Reads are synchronous inside (SqliteDatabase.ReadAsync), so this does not block on I/O threads for long.
            if (snapshot is null)
            {
                ReloadAsync(CancellationToken.None).GetAwaiter().GetResult();
            }
            else if (_reload.CurrentCount > 0)
            {
                _ = Task.Run(BackgroundReloadAsync);
            }
        }

        return _snapshot!;
    }

    private async Task BackgroundReloadAsync()
    {
        try
        {
            await ReloadAsync(CancellationToken.None);
        }
        catch (Exception ex)
        {
            // The previous snapshot stays in effect; the next read tries again.
            Log.ReloadFailed(logger, ex);
        }
    }

    public void Dispose()
    {
        foreach (var instance in (_snapshot?.Instances.Values ?? Enumerable.Empty<UpstreamInstance>()).Concat(_locals.Values))
        {
            instance.Gate.Dispose();
        }

        _reload.Dispose();
    }

    private static bool SameSettings(UpstreamSettings a, UpstreamSettings b)
        => System.Text.Json.JsonSerializer.Serialize(StoredSettings.From(a), UpstreamStoreJson.Default.StoredSettings)
           == System.Text.Json.JsonSerializer.Serialize(StoredSettings.From(b), UpstreamStoreJson.Default.StoredSettings)
           && a.Type == b.Type;

    private sealed record Snapshot(Dictionary<string, UpstreamInstance> Instances, Dictionary<string, IReadOnlyList<RouteRecord>> Routes);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Error, Message = "Provider instance {Id} has type {Type}, which this server does not have; its tasks wait")]
        public static partial void UnknownType(ILogger logger, string id, string type);

        [LoggerMessage(Level = LogLevel.Error, Message = "Provider instance {Id} has the name of a local provider, which it cannot replace; it is ignored")]
        public static partial void ShadowedByLocal(ILogger logger, string id);

        [LoggerMessage(Level = LogLevel.Error, Message = "Re-reading provider instances and routes failed")]
        public static partial void ReloadFailed(ILogger logger, Exception exception);

        [LoggerMessage(Level = LogLevel.Error, Message = "Provider instance {Id} could not be built: {Reason}")]
        public static partial void BuildFailed(ILogger logger, string id, string reason);
    }
}
