namespace Vidgate.Server.Workers;

/// <summary>
/// The wake-up hints between the steps of the pipeline on this node. The steps meet only through the store and these:
/// a hint says "look at the store now", so a step never waits an idle interval for work another step just made.
/// </summary>
internal sealed class WorkSignals(TimeProvider clock)
{
    /// <summary>A task was queued for a local provider (builtin): the local lanes of the <see cref="Submitter"/> claim it.</summary>
    public WorkSignal Local { get; } = new(clock);

    /// <summary>A task was queued for a remote provider: the remote lane of the <see cref="Submitter"/> claims it.</summary>
    public WorkSignal Submit { get; } = new(clock);

    /// <summary>A remote job was accepted or handed back for polling: the <see cref="Tracker"/> looks at its due times.</summary>
    public WorkSignal Track { get; } = new(clock);

    /// <summary>Tasks went back to the queue (lapsed leases, deferrals): every claiming lane looks.</summary>
    public void Requeued()
    {
        Local.Notify();
        Submit.Notify();
    }
}
