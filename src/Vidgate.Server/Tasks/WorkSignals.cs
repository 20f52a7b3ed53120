namespace Vidgate.Server.Tasks;

/// <summary>
/// The wake-up hints that go with the queue on this node. Endpoints and the steps of the pipeline meet only through the
/// store and these: a hint says "look at the store now", so a step never waits an idle interval for work another step or
/// a request just made. Correctness never depends on one: a missed hint costs one idle interval, and a missed cancel is
/// found by the render's heartbeat or the next poll.
/// </summary>
internal sealed class WorkSignals(TimeProvider clock)
{
    /// <summary>A task was queued for a local provider (builtin): the local lanes of the submit step claim it.</summary>
    public WorkSignal Local { get; } = new(clock);

    /// <summary>A task was queued for a remote provider: the remote lane of the submit step claims it.</summary>
    public WorkSignal Submit { get; } = new(clock);

    /// <summary>A remote job was accepted or handed back for polling: the tracker looks at its due times.</summary>
    public WorkSignal Track { get; } = new(clock);

    private readonly List<Action<string>> _cancelled = [];

    /// <summary>Registers what stops this node's work on a task its owner cancelled (a local render, an upstream job).</summary>
    public void OnCancelled(Action<string> stop)
    {
        lock (_cancelled)
        {
            _cancelled.Add(stop);
        }
    }

    /// <summary>The owner cancelled <paramref name="taskId"/> (the store already says so): whatever works on it here stops now.</summary>
    public void Cancelled(string taskId)
    {
        Action<string>[] stops;
        lock (_cancelled)
        {
            stops = [.. _cancelled];
        }

        foreach (var stop in stops)
        {
            stop(taskId);
        }
    }

    /// <summary>Tasks went back to the queue (lapsed leases, deferrals): every claiming lane looks.</summary>
    public void Requeued()
    {
        Local.Notify();
        Submit.Notify();
    }
}
