namespace Vidgate.Server.Tasks;

/// <summary>
/// Where an unfinished task is, finer than its status: <c>queued</c> (waiting for a worker), <c>running</c> (a local
/// provider renders it), <c>submitting</c> (the paid call to the upstream may be in flight), <c>tracking</c> (accepted
/// upstream, being polled), <c>finishing</c> (the upstream said done; the result is being fetched and stored).
/// </summary>
internal static class QueueStates
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Submitting = "submitting";
    public const string Tracking = "tracking";
    public const string Finishing = "finishing";

    public static IReadOnlyList<string> All { get; } = [Queued, Submitting, Running, Tracking, Finishing];

    /// <summary>
    /// The state as SQL over <c>tasks t LEFT JOIN upstream_jobs j</c>, the same text on both engines. A tracking job whose
    /// task holds a lease is being finished: the tracker gives the lease up while it polls and takes it again for the end.
    /// </summary>
    public const string Sql = """
        CASE WHEN t.status = 'queued' THEN 'queued'
             WHEN j.phase = 'submitting' THEN 'submitting'
             WHEN j.phase = 'tracking' AND t.lease_owner IS NULL THEN 'tracking'
             WHEN j.phase = 'tracking' THEN 'finishing'
             ELSE 'running' END
        """;
}

/// <summary>How many unfinished tasks are in <paramref name="State"/> (<see cref="QueueStates"/>) on <paramref name="Provider"/> (the instance once submitted).</summary>
internal sealed record QueueCount(string State, string Provider, long Count);

/// <summary>One unfinished task as the live queue shows it.</summary>
internal sealed record QueuedTask(string Id, string AccountId, string Model, string Provider, string State, int Progress, DateTimeOffset CreatedAt);

/// <summary>
/// The live queue in one read: counts by state and provider, when the oldest task still waiting for a worker was created
/// (null: none waits), and the <c>N</c> oldest unfinished tasks.
/// </summary>
internal sealed record QueueSnapshot(IReadOnlyList<QueueCount> Counts, DateTimeOffset? OldestWaitingSince, IReadOnlyList<QueuedTask> Oldest);
