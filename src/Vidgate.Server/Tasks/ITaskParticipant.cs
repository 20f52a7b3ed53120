using System.Data.Common;

namespace Vidgate.Server.Tasks;

/// <summary>
/// Work that must commit or roll back with a task's insert or with its ending: the task store calls it inside its own
/// write, on that write's open connection (engine-neutral <see cref="DbConnection"/>; each engine's participant uses its
/// own), so there is still one transaction, and the store knows nothing of what the work is. Asynchronous because on
/// PostgreSQL the work runs while the write holds row locks (the account row): a thread blocked on a synchronous
/// statement there starves the pool the lock holder needs to finish. On SQLite every call completes synchronously on
/// the writer (Microsoft.Data.Sqlite's async calls run inline), and the store insists on that (<c>Sql.Completed</c>). Billing implements it
/// (<c>Billing/TaskMoney.cs</c>: the hold, the idempotency key, settle and release, an upstream's reported cost).
/// None is registered for store-level tests and tools.
/// </summary>
internal interface ITaskParticipant
{
    /// <summary>
    /// In the insert's write, before the task row. Non-null stops the insert: nothing is written, and the store answers
    /// with this outcome (the key was used before, or the participant refused).
    /// </summary>
    ValueTask<InsertOutcome?> BeforeInsertAsync(DbConnection connection, VideoTask task, InsertTerms terms, CancellationToken ct);

    /// <summary>
    /// <see cref="BeforeInsertAsync"/> for several creates written in one transaction (PostgreSQL's group commit), in
    /// order, each answered as if alone after the ones before it: an answer for one create writes nothing for it and
    /// leaves the others alone. The store never puts two inserts of one <see cref="InsertTerms.SerialKey"/> in one call.
    /// </summary>
    async ValueTask<InsertOutcome?[]> BeforeInsertManyAsync(DbConnection connection, IReadOnlyList<(VideoTask Task, InsertTerms Terms)> inserts, CancellationToken ct)
    {
        var answers = new InsertOutcome?[inserts.Count];
        for (var i = 0; i < inserts.Count; i++)
        {
            answers[i] = await BeforeInsertAsync(connection, inserts[i].Task, inserts[i].Terms, ct);
        }

        return answers;
    }

    /// <summary>
    /// The optimistic form of <see cref="BeforeInsertManyAsync"/> and <see cref="AfterInsertAsync"/> for a store that
    /// sends a batch of creates and its COMMIT in one round trip (PostgreSQL's group commit): adds to
    /// <paramref name="batch"/>, ahead of the task rows, the statements that do that work for every insert as if none
    /// were refused, written so that the batch fails (a database error, which aborts the transaction) unless that was
    /// so. The store then rolls back and writes the inserts again through <see cref="BeforeInsertManyAsync"/>, which
    /// answers each on its own. False: not for these inserts (the store drops the batch and takes that way at once).
    /// </summary>
    bool AddInsertManyCommands(DbBatch batch, IReadOnlyList<(VideoTask Task, InsertTerms Terms)> inserts) => false;

    /// <summary>In the insert's write, after the task row.</summary>
    ValueTask AfterInsertAsync(DbConnection connection, VideoTask task, InsertTerms terms, CancellationToken ct);

    /// <summary>
    /// In the write of a transition that ended the task, and only when its compare-and-swap changed a row, so it runs
    /// once per task whichever node or retry gets there first. What it returns is passed on, opaque, to the counters.
    /// </summary>
    ValueTask<HoldClosed?> EndedAsync(DbConnection connection, string taskId, TaskEnding ending, DateTimeOffset now, CancellationToken ct);

    /// <summary>
    /// <see cref="EndedAsync"/> for several tasks ended in one transaction (PostgreSQL's grouped endings), one answer
    /// per ending in order. Each task appears once, and only tasks whose transition changed a row are passed.
    /// </summary>
    async ValueTask<HoldClosed?[]> EndedManyAsync(DbConnection connection, IReadOnlyList<EndedTask> endings, CancellationToken ct)
    {
        var answers = new HoldClosed?[endings.Count];
        for (var i = 0; i < endings.Count; i++)
        {
            answers[i] = await EndedAsync(connection, endings[i].TaskId, endings[i].Ending, endings[i].Now, ct);
        }

        return answers;
    }

    /// <summary>
    /// True for a participant whose ending work locks rows many writes share (billing: the account row). Such
    /// participants run after every other one (<see cref="TaskParticipants"/>), so the shared lock is taken last and held
    /// only until the commit, not while the others' statements go back and forth.
    /// </summary>
    bool LocksSharedRows => false;

    /// <summary>In the write that took the lease of a remote job the upstream reported done, with the cost it reported.</summary>
    ValueTask CostReportedAsync(DbConnection connection, string taskId, long costUsdTicks, CancellationToken ct);

    /// <summary>
    /// <see cref="CostReportedAsync"/> for a group of leases written in one transaction (PostgreSQL), in task id order.
    /// One call each unless a participant can do the group at once (billing: one statement on the holds).
    /// </summary>
    async ValueTask CostsReportedAsync(DbConnection connection, IReadOnlyList<ReportedCost> costs, CancellationToken ct)
    {
        foreach (var cost in costs)
        {
            await CostReportedAsync(connection, cost.TaskId, cost.CostUsdTicks, ct);
        }
    }

    /// <summary>
    /// In a write that raised a processing task's progress (a render's heartbeat, an upstream's poll), only when it
    /// changed the row and the progress went up, from <paramref name="from"/> to <paramref name="to"/> (both 0-99). No
    /// time is passed: heartbeats carry only a lease, and a participant that needs the time has its own clock.
    /// </summary>
    ValueTask ProgressedAsync(DbConnection connection, string taskId, int from, int to, CancellationToken ct);
}

/// <summary>What a create asks the participant to commit with its task (billing: the hold and the idempotency key).</summary>
internal abstract record InsertTerms
{
    /// <summary>
    /// Inserts with the same non-null key are never written in one batch, so each sees what the one before it committed
    /// (billing: the account and the <c>Idempotency-Key</c>, so a retried create finds its first task).
    /// </summary>
    public virtual string? SerialKey => null;
}

/// <summary>Why a participant refused an insert; what it means belongs to the participant (billing: <c>HoldRefusal</c>).</summary>
internal abstract record InsertRefusal;

/// <summary>What an insert did. Only <see cref="Created"/> wrote anything.</summary>
internal abstract record InsertOutcome
{
    public sealed record Created : InsertOutcome;

    /// <summary>The idempotency key was already used for the same request: this is its task.</summary>
    public sealed record Existing(string TaskId) : InsertOutcome;

    /// <summary>The idempotency key was already used for a different request.</summary>
    public sealed record KeyReused : InsertOutcome;

    public sealed record Refused(InsertRefusal Reason) : InsertOutcome;
}

/// <summary>
/// How a task ended, as its participant sees it: <see cref="VideoStatus.Completed"/> with the seconds delivered (null:
/// as asked), or any other ending with its <see cref="Outcome"/> word (<c>failed</c>, <c>cancelled</c>; later
/// <c>deadline</c>, <c>expired</c>).
/// </summary>
internal readonly record struct TaskEnding(VideoStatus Status, string Outcome, int? ActualSeconds = null)
{
    public static TaskEnding Failed => new(VideoStatus.Failed, "failed");

    public static TaskEnding Cancelled => new(VideoStatus.Cancelled, "cancelled");

    public static TaskEnding Completed(int? actualSeconds) => new(VideoStatus.Completed, "completed", actualSeconds);
}

/// <summary>What the upstream said a task's job cost, in USD ticks.</summary>
internal readonly record struct ReportedCost(string TaskId, long CostUsdTicks);

/// <summary>One task a grouped write ended: which, how, and when (each ending keeps its own time).</summary>
internal readonly record struct EndedTask(string TaskId, TaskEnding Ending, DateTimeOffset Now);

/// <summary>
/// What the participant moved when a task ended, in micro-units: charged to the account, and given back to its balance.
/// The store only passes it on to the counters.
/// </summary>
internal readonly record struct HoldClosed(long Charged, long Returned);
