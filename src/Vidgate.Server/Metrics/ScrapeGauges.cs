using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;
using Vidgate.Server.Providers.Registry;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Metrics;

/// <summary>
/// The gauges read at scrape time, as observable instruments of the <c>Vidgate</c> meter: tasks per status and provider
/// (one grouped query, reused for <see cref="TaskCountsTtl"/> so a scrape storm costs one query), the build and process
/// basics. An observable callback cannot wait for a query, so the scrape refreshes the counts first
/// (<see cref="RefreshAsync"/>) and the callback only reads them.
/// </summary>
internal sealed class ScrapeGauges : IDisposable
{
    public static readonly TimeSpan TaskCountsTtl = TimeSpan.FromSeconds(2);

    private static readonly VideoStatus[] Statuses = [VideoStatus.Queued, VideoStatus.Processing, VideoStatus.Completed, VideoStatus.Failed, VideoStatus.Cancelled];
    private static readonly string[] Providers = ["builtin", "upstream"];
    private static readonly double StartTime = ProcessStart();
    private static readonly string Version = typeof(ScrapeGauges).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(ScrapeGauges).Assembly.GetName().Version?.ToString() ?? "unknown";

    private readonly ITaskStore _store;
    private readonly UpstreamRegistry _registry;
    private readonly TimeProvider _clock;
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private volatile CachedCounts? _counts;

    public ScrapeGauges(IMeterFactory meters, ITaskStore store, UpstreamRegistry registry, TimeProvider clock)
    {
        _store = store;
        _registry = registry;
        _clock = clock;
        var meter = meters.Create(VidgateMetrics.MeterName);
        meter.CreateObservableGauge("vidgate.tasks", TaskMeasurements, "{task}", "Tasks in the store now, by status and provider (read at most every 2 s).");
        meter.CreateObservableGauge("vidgate.build_info", () => new Measurement<int>(1, new KeyValuePair<string, object?>("version", Version)),
            description: "Always 1; the running server's version is its label.");
        meter.CreateObservableGauge("process.resident_memory_bytes", () => Environment.WorkingSet, description: "Resident memory size in bytes.");
        // RSS alone cannot tell a managed leak from native growth (ffmpeg pipes, SQLite pages); the GC's own figure can.
        meter.CreateObservableGauge("dotnet.gc.heap_bytes", () => GC.GetGCMemoryInfo().HeapSizeBytes, description: "Managed heap size after the last garbage collection, in bytes.");
        meter.CreateObservableGauge("process.start_time_seconds", () => StartTime, description: "Start time of the process since the Unix epoch, in seconds.");
    }

    /// <summary>Reads the task counts unless the last read is younger than <see cref="TaskCountsTtl"/>.</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        if (_counts is { } fresh && _clock.GetElapsedTime(fresh.At) < TaskCountsTtl)
        {
            return;
        }

        // Concurrent scrapes of stale counts wait for one query instead of each running their own.
        await _refresh.WaitAsync(ct);
        try
        {
            if (_counts is { } other && _clock.GetElapsedTime(other.At) < TaskCountsTtl)
            {
                return;
            }

            var counts = await _store.CountAsync(ct);
            _counts = new CachedCounts(_clock.GetTimestamp(), counts);
        }
        finally
        {
            _refresh.Release();
        }
    }

    public void Dispose() => _refresh.Dispose();

    /// <summary>Every status × provider pair, zeros included, so absent-series alerts and sums work from the first scrape.</summary>
    private IEnumerable<Measurement<long>> TaskMeasurements()
    {
        if (_counts is not { } cached)
        {
            yield break;
        }

        var counts = cached.Counts.Select(c => c with { Provider = VidgateMetrics.ProviderLabel(c.Provider, _registry.IsLocal(c.Provider)) }).ToList();
        var providers = Providers.Union(counts.Select(c => c.Provider), StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        foreach (var status in Statuses)
        {
            foreach (var provider in providers)
            {
                var count = counts.Where(c => c.Status == status && c.Provider == provider).Sum(c => c.Count);
                yield return new Measurement<long>(count, new("status", VidgateMetrics.StatusLabel(status)), new("provider", provider));
            }
        }
    }

    private static double ProcessStart()
    {
        using var process = Process.GetCurrentProcess();
        return (process.StartTime.ToUniversalTime() - DateTime.UnixEpoch).TotalSeconds;
    }

    private sealed record CachedCounts(long At, IReadOnlyList<TaskCount> Counts);
}
