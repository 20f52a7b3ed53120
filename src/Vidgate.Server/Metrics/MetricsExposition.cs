using System.Diagnostics;
using System.Reflection;
using Vidgate.Server.Providers.Registry;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Metrics;

/// <summary>
/// One scrape's text: the collected counters and histograms, plus gauges read now: tasks per status and provider (one
/// grouped query, reused for <see cref="TaskCountsTtl"/> so a scrape storm costs one query) and process basics.
/// </summary>
internal sealed class MetricsExposition(MetricsCollector collector, ITaskStore store, UpstreamRegistry registry, TimeProvider clock) : IDisposable
{
    public static readonly TimeSpan TaskCountsTtl = TimeSpan.FromSeconds(2);

    private static readonly VideoStatus[] Statuses = [VideoStatus.Queued, VideoStatus.Processing, VideoStatus.Completed, VideoStatus.Failed, VideoStatus.Cancelled];
    private static readonly string[] Providers = ["builtin", "upstream"];
    private static readonly double StartTime = ProcessStart();
    private static readonly string Version = typeof(MetricsExposition).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(MetricsExposition).Assembly.GetName().Version?.ToString() ?? "unknown";

    private readonly SemaphoreSlim _refresh = new(1, 1);
    private volatile CachedCounts? _counts;

    public async Task<string> RenderAsync(CancellationToken ct)
    {
        var text = new PrometheusText();
        text.Header("vidgate_tasks", "gauge", "Tasks in the store now, by status and provider (read at most every 2 s).");
        var counts = (await TaskCountsAsync(ct))
            .Select(c => c with { Provider = VidgateMetrics.ProviderLabel(c.Provider, registry.IsLocal(c.Provider)) }).ToList();
        var providers = Providers.Union(counts.Select(c => c.Provider), StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        foreach (var status in Statuses)
        {
            foreach (var provider in providers)
            {
                var count = counts.Where(c => c.Status == status && c.Provider == provider).Sum(c => c.Count);
                text.Sample("vidgate_tasks", [new("status", VidgateMetrics.StatusLabel(status)), new("provider", provider)], count);
            }
        }

        collector.WriteTo(text);

        text.Header("vidgate_build_info", "gauge", "Always 1; the running server's version is its label.");
        text.Sample("vidgate_build_info", [new("version", Version)], 1L);
        text.Header("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
        text.Sample("process_resident_memory_bytes", [], Environment.WorkingSet);
        text.Header("process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch, in seconds.");
        text.Sample("process_start_time_seconds", [], StartTime);
        return text.ToString();
    }

    private async Task<IReadOnlyList<TaskCount>> TaskCountsAsync(CancellationToken ct)
    {
        if (_counts is { } fresh && clock.GetElapsedTime(fresh.At) < TaskCountsTtl)
        {
            return fresh.Counts;
        }

        // Concurrent scrapes of stale counts wait for one query instead of each running their own.
        await _refresh.WaitAsync(ct);
        try
        {
            if (_counts is { } other && clock.GetElapsedTime(other.At) < TaskCountsTtl)
            {
                return other.Counts;
            }

            var counts = await store.CountAsync(ct);
            _counts = new CachedCounts(clock.GetTimestamp(), counts);
            return counts;
        }
        finally
        {
            _refresh.Release();
        }
    }

    public void Dispose() => _refresh.Dispose();

    private static double ProcessStart()
    {
        using var process = Process.GetCurrentProcess();
        return (process.StartTime.ToUniversalTime() - DateTime.UnixEpoch).TotalSeconds;
    }

    private sealed record CachedCounts(long At, IReadOnlyList<TaskCount> Counts);
}
