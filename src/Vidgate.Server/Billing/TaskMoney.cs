using System.Data.Common;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Billing;

/// <summary>
/// Billing's part in the task store's writes (<see cref="ITaskParticipant"/>), so money moves in the same transaction
/// as the task transition that causes it, and the store itself knows no money.
/// <para>
/// Money rule (docs/billing.md): a create's hold and idempotency key are written with the task row or not at all. Every
/// transition that ENDS a task, in the same write and only when its compare-and-swap changed a row (the store calls
/// <see cref="Ended"/> only then), either settles the task's hold (completed) or releases it (failed, cancelled,
/// deadline, expired). Transitions that keep the task alive (claim, heartbeat, hand-back, lease re-queue) leave the
/// hold alone: one hold per task, not per attempt.
/// </para>
/// </summary>
internal sealed class TaskMoney(ILedger ledger) : ITaskParticipant
{
    public async ValueTask<InsertOutcome?> BeforeInsertAsync(DbConnection connection, VideoTask task, InsertTerms terms, CancellationToken ct)
    {
        var hold = (HoldRequest)terms;

        // Checked again here, in the one writer, so concurrent duplicates of a key make exactly one task.
        if (hold.Idempotency is { } claim && await ledger.FindIdempotencyAsync(connection, task.AccountId, claim.Key, ct) is { } earlier)
        {
            return earlier.RequestHash.AsSpan().SequenceEqual(claim.RequestHash)
                ? new InsertOutcome.Existing(earlier.TaskId)
                : new InsertOutcome.KeyReused();
        }

        return await ledger.HoldAsync(connection, hold, task.CreatedAt, ct) is { } refusal ? new InsertOutcome.Refused(refusal) : null;
    }

    /// <summary>
    /// The batch form: idempotency keys looked up one by one (as above), then every other create's hold in one call of
    /// the ledger, which checks them in order against the balance.
    /// </summary>
    public async ValueTask<InsertOutcome?[]> BeforeInsertManyAsync(DbConnection connection, IReadOnlyList<(VideoTask Task, InsertTerms Terms)> inserts, CancellationToken ct)
    {
        var answers = new InsertOutcome?[inserts.Count];
        var holding = new List<int>(inserts.Count);
        for (var i = 0; i < inserts.Count; i++)
        {
            var (task, terms) = inserts[i];
            var hold = (HoldRequest)terms;
            if (hold.Idempotency is { } claim && await ledger.FindIdempotencyAsync(connection, task.AccountId, claim.Key, ct) is { } earlier)
            {
                answers[i] = earlier.RequestHash.AsSpan().SequenceEqual(claim.RequestHash)
                    ? new InsertOutcome.Existing(earlier.TaskId)
                    : new InsertOutcome.KeyReused();
            }
            else
            {
                holding.Add(i);
            }
        }

        if (holding.Count > 0)
        {
            var refusals = await ledger.HoldManyAsync(connection, [.. holding.Select(i => ((HoldRequest)inserts[i].Terms, inserts[i].Task.CreatedAt))], ct);
            for (var j = 0; j < holding.Count; j++)
            {
                answers[holding[j]] = refusals[j] is { } refusal ? new InsertOutcome.Refused(refusal) : null;
            }
        }

        return answers;
    }

    /// <summary>
    /// Creates without an <c>Idempotency-Key</c> (a key needs its lookup first, and its record after): every hold as
    /// statements in the store's batch, which the ledger's guard fails unless every create was affordable.
    /// </summary>
    public bool AddInsertManyCommands(DbBatch batch, IReadOnlyList<(VideoTask Task, InsertTerms Terms)> inserts)
        => inserts.All(static i => ((HoldRequest)i.Terms).Idempotency is null)
            && ledger.AddHoldManyCommands(batch, [.. inserts.Select(static i => ((HoldRequest)i.Terms, i.Task.CreatedAt))]);

    public async ValueTask AfterInsertAsync(DbConnection connection, VideoTask task, InsertTerms terms, CancellationToken ct)
    {
        if (((HoldRequest)terms).Idempotency is { } claim)
        {
            await ledger.RecordIdempotencyAsync(connection, task.AccountId, claim, task.Id, task.CreatedAt, ct);
        }
    }

    public ValueTask<HoldClosed?> EndedAsync(DbConnection connection, string taskId, TaskEnding ending, DateTimeOffset now, CancellationToken ct)
        => ending.Status == VideoStatus.Completed
            ? ledger.SettleAsync(connection, taskId, ending.ActualSeconds, now, ct)
            : ledger.ReleaseAsync(connection, taskId, ending.Outcome, now, ct);

    /// <summary>All of a group's holds in one call of the ledger (on PostgreSQL: a read, then one round trip under the account rows' locks).</summary>
    public ValueTask<HoldClosed?[]> EndedManyAsync(DbConnection connection, IReadOnlyList<EndedTask> endings, CancellationToken ct)
        => ledger.CloseManyAsync(
            connection,
            [.. endings.Select(e => new HoldClose(e.TaskId, e.Ending.Status == VideoStatus.Completed, e.Ending.ActualSeconds, e.Ending.Outcome, e.Now))],
            ct);

    /// <summary>Money takes the account row: it runs after the other participants, so the row is held only to the commit.</summary>
    public bool LocksSharedRows => true;

    public ValueTask CostReportedAsync(DbConnection connection, string taskId, long costUsdTicks, CancellationToken ct)
        => ledger.RecordUpstreamCostAsync(connection, taskId, costUsdTicks, ct);

    public ValueTask CostsReportedAsync(DbConnection connection, IReadOnlyList<ReportedCost> costs, CancellationToken ct)
        => ledger.RecordUpstreamCostsAsync(connection, costs, ct);

    /// <summary>Progress moves no money: the hold covers the whole render.</summary>
    public ValueTask ProgressedAsync(DbConnection connection, string taskId, int from, int to, CancellationToken ct) => ValueTask.CompletedTask;
}
