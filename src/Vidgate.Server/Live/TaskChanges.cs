namespace Vidgate.Server.Live;

/// <summary>
/// The task change feed of this node: writers publish the id of a task whose status or progress they changed, and each
/// watcher of that id is woken. Nothing is queued per change: a watcher holds one wake-up slot, so a burst of heartbeats
/// is one wake, memory per watcher is constant, and a publish never waits for a watcher (a slow client costs a writer
/// nothing). A wake is only a hint to read the store again; watchers also re-read on a timer, so a lost hint (another
/// node's, while the LISTEN connection was down) delays an update, never loses it.
/// </summary>
internal sealed class TaskChanges(TimeProvider clock)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<TaskWatch>> _watchers = new(StringComparer.Ordinal);

    /// <summary>Watches one task until disposed. Take it before reading the task, so no change falls between the two.</summary>
    public TaskWatch Watch(string taskId)
    {
        var watch = new TaskWatch(this, taskId, clock);
        lock (_gate)
        {
            if (!_watchers.TryGetValue(taskId, out var list))
            {
                _watchers[taskId] = list = [];
            }

            list.Add(watch);
        }

        return watch;
    }

    /// <summary>The task changed (on this node or, relayed, on another): wake its watchers here.</summary>
    public void Publish(string taskId)
    {
        lock (_gate)
        {
            if (_watchers.TryGetValue(taskId, out var list))
            {
                foreach (var watch in list)
                {
                    watch.Wake();
                }
            }
        }
    }

    /// <summary>
    /// Changes whose ids are unknown (a lapsed-lease re-queue, notifications missed while reconnecting): every watcher
    /// reads its task again.
    /// </summary>
    public void PublishAll()
    {
        lock (_gate)
        {
            foreach (var list in _watchers.Values)
            {
                foreach (var watch in list)
                {
                    watch.Wake();
                }
            }
        }
    }

    /// <summary>How many watches are open on this node (for tests and diagnostics).</summary>
    public int Watching
    {
        get
        {
            lock (_gate)
            {
                return _watchers.Values.Sum(list => list.Count);
            }
        }
    }

    internal void Remove(TaskWatch watch)
    {
        lock (_gate)
        {
            if (_watchers.TryGetValue(watch.TaskId, out var list) && list.Remove(watch) && list.Count == 0)
            {
                _watchers.Remove(watch.TaskId);
            }
        }
    }
}
