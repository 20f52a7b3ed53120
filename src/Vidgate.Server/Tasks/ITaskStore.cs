namespace Vidgate.Server.Tasks;

/// <summary>
/// The durable task store, which is also the queue. Every transition after the insert is a compare-and-swap:
/// conditional on the lease owner or on the previous status, so a task is finished, failed or cancelled once only,
/// whichever node gets there first. Implementations live in <c>Data/</c> (SQLite: <c>Data/Sqlite/SqliteTaskStore.cs</c>);
/// every engine runs the same contract suite (<c>tests/Vidgate.Tests/Data/TaskStoreContract.cs</c>).
/// <para>
/// Rule for implementations: every transition that ENDS a task calls <see cref="ITaskParticipant.Ended"/> in the same
/// write, and only when its compare-and-swap changed a row; transitions that keep the task alive (claim, heartbeat,
/// hand-back, lease re-queue) do not. What that means for money is Billing's (<c>Billing/TaskMoney.cs</c>).
/// </para>
/// </summary>
internal interface ITaskStore
{
    /// <summary>Commits the task durably (fsynced) before returning. No terms: for store-level tests and tools.</summary>
    async Task InsertAsync(VideoTask task, CancellationToken ct) => await InsertAsync(task, null, ct);

    /// <summary>
    /// Commits the task and what <paramref name="terms"/> ask the <see cref="ITaskParticipant"/> to commit with it (a
    /// create's billing hold and idempotency key) in one transaction, or nothing: the participant may answer instead (an
    /// idempotency key already used, a refused hold), and then nothing is written.
    /// </summary>
    Task<InsertOutcome> InsertAsync(VideoTask task, InsertTerms? terms, CancellationToken ct);

    /// <summary>The task if it exists and (when <paramref name="accountId"/> is given) belongs to that account.</summary>
    Task<VideoTask?> GetAsync(string id, string? accountId, CancellationToken ct);

    /// <summary>Owner's tasks by id (time-ordered), after the cursor, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<VideoTask>> ListAsync(string accountId, string? after, int limit, bool descending, CancellationToken ct)
        => ListAsync(accountId, after, limit, descending, TaskListFilter.None, ct);

    /// <summary>
    /// Owner's tasks that match <paramref name="filter"/>, by id after the cursor, at most <paramref name="limit"/>: the
    /// filter narrows the rows before the limit, so a page is full whenever enough matching tasks exist.
    /// </summary>
    Task<IReadOnlyList<VideoTask>> ListAsync(string accountId, string? after, int limit, bool descending, TaskListFilter filter, CancellationToken ct);

    /// <summary>Atomically takes the oldest due queued task of one of <paramref name="providers"/> and leases it.</summary>
    Task<VideoTask?> TryClaimAsync(IReadOnlyCollection<string> providers, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken ct);

    /// <summary>
    /// Like <see cref="TryClaimAsync"/>, for a task of any provider NOT in <paramref name="except"/>: the remote lane claims
    /// every task the local providers (builtin) do not run, whichever instance it was planned for.
    /// </summary>
    Task<VideoTask?> TryClaimExceptAsync(IReadOnlyCollection<string> except, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken ct);

    /// <summary>Extends the lease and raises progress (never lowers it). False: the lease is lost or the task was cancelled.</summary>
    Task<bool> HeartbeatAsync(string id, string owner, DateTimeOffset leaseUntil, int progress, CancellationToken ct);

    Task<bool> CompleteAsync(string id, string owner, DateTimeOffset now, DateTimeOffset? expiresAt, CancellationToken ct)
        => CompleteAsync(id, owner, now, expiresAt, null, ct);

    /// <summary>
    /// processing → completed, if still leased by <paramref name="owner"/>; an ending with <paramref name="actualSeconds"/>
    /// (the provider's output length when shorter than asked; null: as asked), on which the participant settles the hold.
    /// </summary>
    Task<bool> CompleteAsync(string id, string owner, DateTimeOffset now, DateTimeOffset? expiresAt, int? actualSeconds, CancellationToken ct);

    /// <summary>processing → failed, if still leased by <paramref name="owner"/>; an ending (the participant releases the hold).</summary>
    Task<bool> FailAsync(string id, string owner, string code, string message, DateTimeOffset now, CancellationToken ct);

    /// <summary>processing → queued (lease given back, e.g. on shutdown), if still leased by <paramref name="owner"/>.</summary>
    Task<bool> ReleaseAsync(string id, string owner, CancellationToken ct);

    /// <summary>queued|processing → cancelled for the owner; an ending. Null if not found; the unchanged task if already finished.</summary>
    Task<(VideoTask? Task, bool Changed)> CancelAsync(string id, string accountId, DateTimeOffset now, CancellationToken ct);

    /// <summary>Removes a finished task's record. False if it is missing, foreign or unfinished.</summary>
    Task<bool> DeleteFinishedAsync(string id, string accountId, CancellationToken ct);

    /// <summary>Re-queues tasks whose lease lapsed (their node died). Returns how many.</summary>
    Task<int> RequeueLapsedAsync(DateTimeOffset now, CancellationToken ct);

    /// <summary>Completed tasks whose content has expired and is still stored.</summary>
    Task<IReadOnlyList<string>> ExpiredContentAsync(DateTimeOffset now, int limit, CancellationToken ct);

    Task MarkContentDeletedAsync(string id, DateTimeOffset now, CancellationToken ct);

    /// <summary>Tasks per status and provider, in one grouped read (for <c>/metrics</c>, which caches it).</summary>
    Task<IReadOnlyList<TaskCount>> CountAsync(CancellationToken ct);

    /// <summary>
    /// The live queue (<c>GET /admin/queue</c>): every unfinished task counted by <see cref="QueueStates"/> and provider,
    /// the creation time of the oldest queued one, and the <paramref name="oldest"/> oldest unfinished tasks.
    /// </summary>
    Task<QueueSnapshot> QueueAsync(int oldest, CancellationToken ct);

    /// <summary>Cheap liveness probe for /readyz.</summary>
    Task<bool> PingAsync(CancellationToken ct);
}

/// <summary>
/// Which of an owner's tasks a list returns; null fields match everything. <see cref="PromptContains"/> is a substring of
/// the prompt, compared case-insensitively.
/// </summary>
internal sealed record TaskListFilter(VideoStatus? Status = null, string? Model = null, string? PromptContains = null)
{
    public static TaskListFilter None { get; } = new();
}

/// <summary>How many tasks are in <paramref name="Status"/> on <paramref name="Provider"/>.</summary>
internal sealed record TaskCount(VideoStatus Status, string Provider, long Count);
