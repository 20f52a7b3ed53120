namespace Vidgate.Server.Tasks;

/// <summary>A task's link to its remote job (table <c>upstream_jobs</c>).</summary>
/// <param name="Phase"><c>submitting</c> (the paid call may be in flight) or <c>tracking</c> (accepted, being polled).</param>
internal sealed record UpstreamJobRow(
    string TaskId,
    string ProviderId,
    int KeyIndex,
    string Phase,
    string? UpstreamId,
    string? State,
    DateTimeOffset SubmittedAt,
    DateTimeOffset? AcceptedAt,
    DateTimeOffset DeadlineAt,
    int Polls,
    int LastProgress)
{
    public const string Submitting = "submitting";
    public const string Tracking = "tracking";

    /// <summary>The task ended; the row stays as the record of which instance and key made it (remix is pinned to them).</summary>
    public const string Finished = "finished";
}

/// <summary>
/// The remote side of tasks. Like <see cref="ITaskStore"/>, every change is one conditional write: submits are recorded
/// only under the task's lease, polls are claimed by pushing <c>next_poll_at</c> forward, and the terminal transitions
/// stay in <see cref="ITaskStore.CompleteAsync"/> / <see cref="ITaskStore.FailAsync"/> (taken under the task lease got
/// from <see cref="TryLeaseAsync"/>), so billing hooks there see every ending.
/// </summary>
internal interface IUpstreamJobStore
{
    /// <summary>True when a queued task of a provider not in <paramref name="except"/> is due: a read, so idle submit loops cost no writes.</summary>
    Task<bool> AnyQueuedAsync(IReadOnlyCollection<string> except, DateTimeOffset now, CancellationToken ct);

    /// <summary>Durably marks the task <c>submitting</c> to <paramref name="providerId"/> BEFORE the paid call, if still leased by <paramref name="owner"/>.</summary>
    Task<bool> BeginSubmitAsync(string taskId, string owner, string providerId, int keyIndex, DateTimeOffset now, DateTimeOffset deadline, CancellationToken ct);

    /// <summary>submitting → tracking with the upstream id; the task lease is given up (the tracker polls it from now on).</summary>
    Task<bool> AcceptedAsync(string taskId, string owner, string upstreamId, string? state, DateTimeOffset now, DateTimeOffset firstPoll, CancellationToken ct)
        => AcceptedAsync(taskId, owner, upstreamId, state, now, firstPoll, null, ct);

    /// <summary>
    /// As above, and in the same write the task's <c>seconds</c>, size, ratio and resolution become <paramref name="delivered"/>
    /// (what the upstream model really makes of it: a snapped length or size), when given. The hold is left as it was.
    /// </summary>
    Task<bool> AcceptedAsync(string taskId, string owner, string upstreamId, string? state, DateTimeOffset now, DateTimeOffset firstPoll, Delivered? delivered, CancellationToken ct);

    /// <summary>Every route was unavailable: drop the submitting mark and queue the task again at <paramref name="runAfter"/>.</summary>
    Task<bool> DeferAsync(string taskId, string owner, DateTimeOffset runAfter, CancellationToken ct);

    /// <summary>Takes up to <paramref name="limit"/> due tracking jobs of processing tasks, pushing their next poll to <paramref name="leaseUntil"/>.</summary>
    Task<IReadOnlyList<UpstreamJobRow>> ClaimDueAsync(DateTimeOffset now, DateTimeOffset leaseUntil, int limit, CancellationToken ct);

    /// <summary>When the earliest tracking job is due (null: none).</summary>
    Task<DateTimeOffset?> NextDueAsync(CancellationToken ct);

    /// <summary>Sets the next poll and raises the task's progress (never lowers it).</summary>
    Task RecordPollAsync(string taskId, DateTimeOffset nextPollAt, int? progress, CancellationToken ct);

    /// <summary>Takes the lease of a processing task nobody holds (or whose holder died) for a terminal step.</summary>
    Task<bool> TryLeaseAsync(string taskId, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken ct);

    /// <summary>
    /// The upstream said done: <see cref="TryLeaseAsync"/>, and in the same write, if the lease was taken and the upstream
    /// reported one, the job's cost in USD ticks (<c>upstream_jobs.cost_usd_ticks</c>, and <see cref="ITaskParticipant.CostReported"/>: the hold's copy for usage).
    /// A later Done of the same job (a re-poll after a failed download) writes the same figure again, never adds to it.
    /// </summary>
    Task<bool> TryLeaseDoneAsync(string taskId, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, long? costUsdTicks, CancellationToken ct);

    /// <summary>Gives a lease taken with <see cref="TryLeaseAsync"/> back and sets the next poll (a retry of a failed result download).</summary>
    Task ReleaseToTrackingAsync(string taskId, string owner, DateTimeOffset nextPollAt, CancellationToken ct);

    /// <summary>Submits interrupted by a crash: <c>submitting</c> rows of processing tasks whose lease lapsed.</summary>
    Task<IReadOnlyList<UpstreamJobRow>> StrandedSubmitsAsync(DateTimeOffset now, int limit, CancellationToken ct);

    Task<UpstreamJobRow?> GetAsync(string taskId, CancellationToken ct);

    /// <summary>The task ended (or was cancelled): stop tracking it, keep the row.</summary>
    Task MarkFinishedAsync(string taskId, CancellationToken ct);

    /// <summary>Marks rows of tasks that ended by other paths (user cancel) finished and removes rows of deleted tasks. Returns how many.</summary>
    Task<int> PurgeFinishedAsync(CancellationToken ct);

    /// <summary>Jobs in flight per provider instance (for <c>max_concurrent_jobs</c>).</summary>
    Task<IReadOnlyDictionary<string, int>> InFlightAsync(CancellationToken ct);

    /// <summary>
    /// Records the hash of the callback secret the submit is about to carry, on the <c>submitting</c> row still leased by
    /// <paramref name="owner"/> (before the paid call, so a callback never arrives for a secret we do not know).
    /// </summary>
    Task<bool> SetCallbackAsync(string taskId, string owner, string tokenHash, CancellationToken ct);

    /// <summary>
    /// An upstream called back with the secret hashed to <paramref name="tokenHash"/>: the job of <paramref name="providerId"/>
    /// holding it is made due at <paramref name="now"/> (never later than it was), if it is being tracked and nobody holds
    /// its task for a terminal step. On PostgreSQL every node's tracker is woken too. Never changes a task's state.
    /// </summary>
    Task<CallbackWake> WakeAsync(string providerId, string tokenHash, DateTimeOffset now, CancellationToken ct);
}

/// <summary>What a callback's secret found.</summary>
internal enum CallbackWake
{
    /// <summary>No job of that instance holds the secret.</summary>
    Unknown,

    /// <summary>The job is due now: the tracker polls it at once.</summary>
    Woken,

    /// <summary>A known job with nothing to wake: not accepted yet, being finished, or ended.</summary>
    Idle,
}
