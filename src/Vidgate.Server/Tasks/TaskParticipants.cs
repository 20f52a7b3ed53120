using System.Data.Common;

namespace Vidgate.Server.Tasks;

/// <summary>
/// Every registered <see cref="ITaskParticipant"/> as one (billing's money, the webhooks' outbox), so a store keeps
/// calling one participant and each still commits or rolls back with the store's write. In registration order (an ending runs
/// those that lock shared rows last, <see cref="ITaskParticipant.LocksSharedRows"/>); the first
/// refusal of an insert wins, and an ending's <see cref="HoldClosed"/> is the first one a participant returns (billing's).
/// </summary>
internal sealed class TaskParticipants(ITaskParticipant[] all) : ITaskParticipant
{
    // Endings run the participants that lock shared rows last (stable: registration order otherwise), so e.g. the
    // webhook outbox's reads and inserts happen before billing takes the account row, not while it holds it.
    private readonly ITaskParticipant[] _endingOrder = [.. all.Where(p => !p.LocksSharedRows), .. all.Where(p => p.LocksSharedRows)];

    public bool LocksSharedRows => all.Any(p => p.LocksSharedRows);

    /// <summary>Null when nothing takes part (store-level tests and tools), so stores keep their "no participant" path.</summary>
    public static TaskParticipants? Of(IEnumerable<ITaskParticipant>? participants)
        => participants?.ToArray() is { Length: > 0 } all ? new TaskParticipants(all) : null;

    public async ValueTask<InsertOutcome?> BeforeInsertAsync(DbConnection connection, VideoTask task, InsertTerms terms, CancellationToken ct)
    {
        foreach (var participant in all)
        {
            if (await participant.BeforeInsertAsync(connection, task, terms, ct) is { } answer)
            {
                return answer;
            }
        }

        return null;
    }

    public async ValueTask<InsertOutcome?[]> BeforeInsertManyAsync(DbConnection connection, IReadOnlyList<(VideoTask Task, InsertTerms Terms)> inserts, CancellationToken ct)
    {
        var answers = new InsertOutcome?[inserts.Count];
        foreach (var participant in all)
        {
            // As one at a time: a later participant is asked only about the inserts no earlier one answered.
            var open = Enumerable.Range(0, inserts.Count).Where(i => answers[i] is null).ToArray();
            if (open.Length == 0)
            {
                break;
            }

            var some = await participant.BeforeInsertManyAsync(connection, [.. open.Select(i => inserts[i])], ct);
            for (var j = 0; j < open.Length; j++)
            {
                answers[open[j]] = some[j];
            }
        }

        return answers;
    }

    public bool AddInsertManyCommands(DbBatch batch, IReadOnlyList<(VideoTask Task, InsertTerms Terms)> inserts)
        => all.All(participant => participant.AddInsertManyCommands(batch, inserts));

    public async ValueTask AfterInsertAsync(DbConnection connection, VideoTask task, InsertTerms terms, CancellationToken ct)
    {
        foreach (var participant in all)
        {
            await participant.AfterInsertAsync(connection, task, terms, ct);
        }
    }

    public async ValueTask<HoldClosed?> EndedAsync(DbConnection connection, string taskId, TaskEnding ending, DateTimeOffset now, CancellationToken ct)
    {
        HoldClosed? closed = null;
        foreach (var participant in _endingOrder)
        {
            // Every participant runs; only the first answer is kept (`??=` would skip the others once one answered).
            var answer = await participant.EndedAsync(connection, taskId, ending, now, ct);
            closed ??= answer;
        }

        return closed;
    }

    public async ValueTask<HoldClosed?[]> EndedManyAsync(DbConnection connection, IReadOnlyList<EndedTask> endings, CancellationToken ct)
    {
        var closed = new HoldClosed?[endings.Count];
        foreach (var participant in _endingOrder)
        {
            var answers = await participant.EndedManyAsync(connection, endings, ct);
            for (var i = 0; i < closed.Length; i++)
            {
                closed[i] ??= answers[i];
            }
        }

        return closed;
    }

    public async ValueTask CostReportedAsync(DbConnection connection, string taskId, long costUsdTicks, CancellationToken ct)
    {
        foreach (var participant in all)
        {
            await participant.CostReportedAsync(connection, taskId, costUsdTicks, ct);
        }
    }

    public async ValueTask CostsReportedAsync(DbConnection connection, IReadOnlyList<ReportedCost> costs, CancellationToken ct)
    {
        foreach (var participant in all)
        {
            await participant.CostsReportedAsync(connection, costs, ct);
        }
    }

    public async ValueTask ProgressedAsync(DbConnection connection, string taskId, int from, int to, CancellationToken ct)
    {
        foreach (var participant in all)
        {
            await participant.ProgressedAsync(connection, taskId, from, to, ct);
        }
    }
}
