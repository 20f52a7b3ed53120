using Microsoft.Extensions.Options;

namespace Vidgate.Server.Models;

/// <summary>
/// The models in effect on this node. With a store (the server) they are read from the database: seeded once from the
/// <c>Vidgate:Models</c> configuration, re-read after every admin edit on this node and, for edits made on other nodes,
/// at most every reload interval (the provider instances' <c>Vidgate:Upstreams:ReloadInterval</c>: the same
/// poll, so models and routes change together). Without one (tests, tools) the configuration is the catalog.
/// </summary>
internal sealed partial class ModelCatalog : IDisposable
{
    private const int MaxAliasHops = 8;

    private readonly IReadOnlyDictionary<string, ModelSpec> _configured;
    private readonly IModelStore? _store;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _reloadInterval;
    private readonly ILogger? _logger;
    private readonly SemaphoreSlim _reload = new(1, 1);
    private volatile IReadOnlyDictionary<string, ModelSpec>? _models;
    private DateTimeOffset _loadedAt;
    private bool _seeded;

    /// <summary>A fixed catalog: the configuration's models, never reloaded.</summary>
    public ModelCatalog(IOptions<ModelCatalogOptions> options)
    {
        _configured = options.Value.Models;
        _models = new Dictionary<string, ModelSpec>(_configured, StringComparer.Ordinal);
        _clock = TimeProvider.System;
    }

    /// <summary>The runtime catalog kept in <paramref name="store"/>, seeded from the configuration on first use.</summary>
    public ModelCatalog(IOptions<ModelCatalogOptions> options, IModelStore store, TimeProvider clock, TimeSpan reloadInterval, ILogger<ModelCatalog> logger)
    {
        _configured = options.Value.Models;
        (_store, _clock, _reloadInterval, _logger) = (store, clock, reloadInterval, logger);
    }

    public ModelSpec? Find(string name) => Current().GetValueOrDefault(name);

    public IEnumerable<string> Names => Current().Keys;

    public IEnumerable<KeyValuePair<string, ModelSpec>> All => Current();

    /// <summary>
    /// <paramref name="name"/>, then the model it aliases, then that one's alias..., as far as the chain goes (a missing
    /// target or a cycle, which the admin API refuses but an old configuration might hold, ends it).
    /// </summary>
    public IReadOnlyList<string> AliasChain(string name)
    {
        var models = Current();
        var chain = new List<string> { name };
        while (chain.Count <= MaxAliasHops && models.GetValueOrDefault(chain[^1])?.AliasOf is { } target
               && models.ContainsKey(target) && !chain.Contains(target, StringComparer.Ordinal))
        {
            chain.Add(target);
        }

        return chain;
    }

    /// <summary>The provider that renders <paramref name="name"/>: the one of the last model of its alias chain.</summary>
    public string ProviderFor(string name)
    {
        var models = Current();
        if (!models.ContainsKey(name))
        {
            throw new ArgumentException($"Unknown model '{name}'.", nameof(name));
        }

        return models[AliasChain(name)[^1]].Provider;
    }

    /// <summary>Every provider some model routes to; the dispatcher claims tasks of the ones it runs.</summary>
    public IReadOnlyCollection<string> Providers => [.. Current().Keys.Select(ProviderFor).Distinct()];

    /// <summary>Re-reads the database now (after an admin edit); the first call seeds the catalog when it never was.</summary>
    public async Task ReloadAsync(CancellationToken ct)
    {
        if (_store is null)
        {
            return;
        }

        await _reload.WaitAsync(ct);
        try
        {
            if (!_seeded)
            {
                var now = _clock.GetUtcNow();
                if (await _store.SeedAsync([.. _configured.Select(m => new ModelRecord(m.Key, m.Value, now, now))], ct))
                {
                    Log.Seeded(_logger!, _configured.Count);
                }

                _seeded = true;
            }

            var records = await _store.ModelsAsync(ct);
            _models = records.ToDictionary(r => r.Name, r => r.Spec, StringComparer.Ordinal);
            _loadedAt = _clock.GetUtcNow();
        }
        finally
        {
            _reload.Release();
        }
    }

    /// <summary>Loads (and so seeds) the catalog if this node has not yet: a read of the store right after start sees the seed.</summary>
    public Task EnsureLoadedAsync(CancellationToken ct) => _store is not null && _models is null ? ReloadAsync(ct) : Task.CompletedTask;

    private IReadOnlyDictionary<string, ModelSpec> Current()
    {
        var models = _models;
        if (_store is null)
        {
            return models!;
        }

        if (models is null)
        {
            // As the provider registry: the first read waits for the database (SQLite reads are synchronous inside).
            ReloadAsync(CancellationToken.None).GetAwaiter().GetResult();
            return _models!;
        }

        if (_clock.GetUtcNow() - _loadedAt > _reloadInterval && _reload.CurrentCount > 0)
        {
            _ = Task.Run(BackgroundReloadAsync);
        }

        return models;
    }

    private async Task BackgroundReloadAsync()
    {
        try
        {
            await ReloadAsync(CancellationToken.None);
        }
        catch (Exception ex)
        {
            // The previous catalog stays in effect; the next read tries again.
            Log.ReloadFailed(_logger!, ex);
        }
    }

    public void Dispose() => _reload.Dispose();

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "The model catalog was seeded with the {Count} configured models (Vidgate:Models); edit it with /admin/models from now on")]
        public static partial void Seeded(ILogger logger, int count);

        [LoggerMessage(Level = LogLevel.Error, Message = "Re-reading the model catalog failed")]
        public static partial void ReloadFailed(ILogger logger, Exception exception);
    }
}
