using System.Collections.Concurrent;

namespace Vidgate.Server.Workers;

/// <summary>
/// How soon to try again after a transient failure (a poll or a result download answered 5xx, reset, timed out): the
/// first retry comes quickly (<see cref="First"/>) and each further consecutive failure of the same task doubles the
/// wait up to a cap. A single failed poll among hundreds then costs a quarter of a second of notice lag, not a whole
/// poll interval or a fixed 5 s (tried from outside: 5 % of polls failing made the lag's p99 7.4 s), while an upstream
/// that keeps failing is still asked only every so often.
/// The count is this node's memory: a restart or another node starts the task's count afresh, which only means a few
/// quick retries more. Entries go when the task's poll or download succeeds.
/// </summary>
internal sealed class TransientRetries
{
    public static readonly TimeSpan First = TimeSpan.FromMilliseconds(250);

    // Tasks failing on this node and then finished elsewhere leave entries; the bound keeps that leak small.
    private const int MaxEntries = 100_000;
    private readonly ConcurrentDictionary<string, int> _failures = new(StringComparer.Ordinal);

    /// <summary>Counts one more consecutive failure of <paramref name="taskId"/> and answers the wait before the next try.</summary>
    public TimeSpan Failed(string taskId, TimeSpan cap)
    {
        if (_failures.Count >= MaxEntries)
        {
            _failures.Clear();
        }

        var count = _failures.AddOrUpdate(taskId, 1, static (_, n) => n + 1);
        var wait = First * Math.Pow(2, Math.Min(count - 1, 16));
        return wait < cap ? wait : cap;
    }

    /// <summary>The task's last try went through (or it ended): the next failure starts again at <see cref="First"/>.</summary>
    public void Succeeded(string taskId) => _failures.TryRemove(taskId, out _);
}
