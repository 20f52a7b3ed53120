using System.Collections.Concurrent;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Workers;

/// <summary>The tasks this node is working on right now, so a cancel on this node stops the work at once.</summary>
internal sealed class RunningTasks
{
    public RunningTasks(WorkSignals signals) => signals.OnCancelled(Cancel);

    private readonly ConcurrentDictionary<string, CancellationTokenSource> _running = new(StringComparer.Ordinal);

    public void Add(string taskId, CancellationTokenSource cts) => _running[taskId] = cts;

    public void Remove(string taskId) => _running.TryRemove(taskId, out _);

    public void Cancel(string taskId)
    {
        if (_running.TryGetValue(taskId, out var cts))
        {
            try
            {
                cts.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Finished between the lookup and the cancel.
            }
        }
    }

    public int Count => _running.Count;
}
