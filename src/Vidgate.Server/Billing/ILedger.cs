using System.Data.Common;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Billing;

/// <summary>
/// All money movement and the idempotency records, on the caller's open connection and inside the caller's write, so
/// each commits or rolls back with the task transition that caused it (one implementation per engine, in <c>Data/</c>).
/// Settle and release are conditional on the hold still being open, so whichever node or retry closes it first wins
/// and the other is a no-op: a task is charged or refunded once only.
/// Invariant per account: credits + adjustments − charges (the ledger) − open holds = balance. A create writes no
/// ledger row, only the hold: the hot path stays three statements (account, hold, task).
/// </summary>
internal interface ILedger
{
    /// <summary>Takes the hold for a new task, or says why not (and writes nothing). Call in the same write as the task insert.</summary>
    ValueTask<HoldRefusal?> HoldAsync(DbConnection connection, HoldRequest request, DateTimeOffset now, CancellationToken ct);

    /// <summary>
    /// <see cref="HoldAsync"/> for several creates in one write, in order, each checked against the balance the ones
    /// before it left: a refusal writes nothing for its create and the others go on. An engine that writes creates in
    /// batches does it in a few statements (PostgreSQL: each account row locked once, its holds summed).
    /// </summary>
    async ValueTask<HoldRefusal?[]> HoldManyAsync(DbConnection connection, IReadOnlyList<(HoldRequest Request, DateTimeOffset Now)> requests, CancellationToken ct)
    {
        var refusals = new HoldRefusal?[requests.Count];
        for (var i = 0; i < requests.Count; i++)
        {
            refusals[i] = await HoldAsync(connection, requests[i].Request, requests[i].Now, ct);
        }

        return refusals;
    }

    /// <summary>
    /// <see cref="HoldManyAsync"/> as statements added to the caller's <paramref name="batch"/>, assuming every hold is
    /// taken, that fail the batch (a database error) unless each account's row really covers all of its holds (balance
    /// and in-flight limit, against the row once locked). The caller then rolls back and calls
    /// <see cref="HoldManyAsync"/>, which decides hold by hold. False: this engine does not batch statements so.
    /// </summary>
    bool AddHoldManyCommands(DbBatch batch, IReadOnlyList<(HoldRequest Request, DateTimeOffset Now)> requests) => false;

    /// <summary>
    /// Completed: charge for what was delivered (the actual seconds if the provider made fewer, never more than held)
    /// and give the rest back. Null if the hold was already closed (or never existed).
    /// </summary>
    ValueTask<HoldClosed?> SettleAsync(DbConnection connection, string taskId, int? actualSeconds, DateTimeOffset now, CancellationToken ct);

    /// <summary>Failed, cancelled, deadline, expired: the whole hold goes back. Null if it was already closed.</summary>
    ValueTask<HoldClosed?> ReleaseAsync(DbConnection connection, string taskId, string outcome, DateTimeOffset now, CancellationToken ct);

    /// <summary>
    /// <see cref="SettleAsync"/> (when <see cref="HoldClose.Settle"/>) or <see cref="ReleaseAsync"/> for several tasks
    /// ended in one write, one answer per close in order; each task appears once. An engine that ends tasks in groups
    /// does it in a few statements (PostgreSQL: the holds read before any lock, then each account row locked once, in id
    /// order, and everything written in one round trip).
    /// </summary>
    async ValueTask<HoldClosed?[]> CloseManyAsync(DbConnection connection, IReadOnlyList<HoldClose> closes, CancellationToken ct)
    {
        var answers = new HoldClosed?[closes.Count];
        for (var i = 0; i < closes.Count; i++)
        {
            var close = closes[i];
            answers[i] = close.Settle
                ? await SettleAsync(connection, close.TaskId, close.ActualSeconds, close.Now, ct)
                : await ReleaseAsync(connection, close.TaskId, close.Outcome, close.Now, ct);
        }

        return answers;
    }

    /// <summary>What the upstream said the task's job cost us, in USD ticks, on its hold (for usage); written again, never added.</summary>
    ValueTask RecordUpstreamCostAsync(DbConnection connection, string taskId, long costUsdTicks, CancellationToken ct);

    /// <summary><see cref="RecordUpstreamCostAsync"/> for several holds in one write (in task id order); one call each unless an engine does better.</summary>
    async ValueTask RecordUpstreamCostsAsync(DbConnection connection, IReadOnlyList<ReportedCost> costs, CancellationToken ct)
    {
        foreach (var cost in costs)
        {
            await RecordUpstreamCostAsync(connection, cost.TaskId, cost.CostUsdTicks, ct);
        }
    }

    /// <summary>The task an <c>Idempotency-Key</c> of this account made, with the hash of its request; null: unused.</summary>
    ValueTask<Idempotency.Entry?> FindIdempotencyAsync(DbConnection connection, string accountId, string key, CancellationToken ct);

    ValueTask RecordIdempotencyAsync(DbConnection connection, string accountId, IdempotencyClaim claim, string taskId, DateTimeOffset now, CancellationToken ct);
}

/// <summary>
/// One hold to close: settled (charged for <see cref="ActualSeconds"/>, null: as held) or released with
/// <see cref="Outcome"/> (<c>failed</c>, <c>cancelled</c>, ...).
/// </summary>
internal readonly record struct HoldClose(string TaskId, bool Settle, int? ActualSeconds, string Outcome, DateTimeOffset Now);
