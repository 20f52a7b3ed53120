using System.Data.Common;

namespace Vidgate.Server.Tasks;

/// <summary>
/// Every registered <see cref="ITaskParticipant"/> as one (billing's money, the webhooks' outbox), so a store keeps
/// calling one participant and each still commits or rolls back with the store's write. In registration order; the first
/// refusal of an insert wins, and an ending's <see cref="HoldClosed"/> is the first one a participant returns (billing's).
/// </summary>
internal sealed class TaskParticipants(ITaskParticipant[] all) : ITaskParticipant
{
    /// <summary>Null when nothing takes part (store-level tests and tools), so stores keep their "no participant" path.</summary>
    public static TaskParticipants? Of(IEnumerable<ITaskParticipant>? participants)
        => participants?.ToArray() is { Length: > 0 } all ? new TaskParticipants(all) : null;

    public InsertOutcome? BeforeInsert(DbConnection connection, VideoTask task, InsertTerms terms)
    {
        foreach (var participant in all)
        {
            if (participant.BeforeInsert(connection, task, terms) is { } answer)
            {
                return answer;
            }
        }

        return null;
    }

    public void AfterInsert(DbConnection connection, VideoTask task, InsertTerms terms)
    {
        foreach (var participant in all)
        {
            participant.AfterInsert(connection, task, terms);
        }
    }

    public HoldClosed? Ended(DbConnection connection, string taskId, TaskEnding ending, DateTimeOffset now)
    {
        HoldClosed? closed = null;
        foreach (var participant in all)
        {
            // Every participant runs; only the first answer is kept (`??=` would skip the others once one answered).
            var answer = participant.Ended(connection, taskId, ending, now);
            closed ??= answer;
        }

        return closed;
    }

    public void CostReported(DbConnection connection, string taskId, long costUsdTicks)
    {
        foreach (var participant in all)
        {
            participant.CostReported(connection, taskId, costUsdTicks);
        }
    }

    public void Progressed(DbConnection connection, string taskId, int from, int to)
    {
        foreach (var participant in all)
        {
            participant.Progressed(connection, taskId, from, to);
        }
    }
}
