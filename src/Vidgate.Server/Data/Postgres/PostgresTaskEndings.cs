using Npgsql;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Data.Postgres;

/// <summary>
/// A leased task's ending (completed or failed) waiting for its group's commit: the compare-and-swap's owner, the
/// ending and its time, and what the row gets (a completion's expiry, a failure's code and message).
/// </summary>
internal sealed record PendingEnding(string Id, string Owner, TaskEnding Ending, DateTimeOffset Now, DateTimeOffset? ExpiresAt, string? Code, string? Message)
{
    public TaskCompletionSource<bool> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>
/// Task endings on PostgreSQL, written in groups the way <see cref="PostgresUpstreamJobStore.RecordPollAsync"/> writes
/// poll results: the endings that arrive while one group commits go together in the next transaction, and each caller
/// is answered only once its group committed. A group is three round trips whatever its size: every transition in one
/// conditional statement (task rows locked in id order), the participants' work for the tasks it ended (the webhook
/// outbox first; billing last, which reads the holds, then locks each account row once in id order and closes the holds
/// in one statement), and the commit. At 10,000 tasks of one account this is one turn on the account's row per group,
/// not one per task with six to eight client round trips each (docs/benchmarks.md, "Task endings in groups").
/// If a group fails as a whole its endings are written again one by one, so one bad ending fails alone.
/// </summary>
internal sealed class PostgresTaskEndings(PostgresDatabase db, TaskParticipants? participant)
{
    /// <summary>Endings per transaction at most: bounds the arrays and how long the group's row locks are held.</summary>
    public const int MaxGroup = 256;

    private readonly Lock _gate = new();
    private List<PendingEnding> _waiting = [];
    private bool _writing;

    public Task<bool> EndAsync(PendingEnding ending)
    {
        bool lead;
        lock (_gate)
        {
            _waiting.Add(ending);
            lead = !_writing;
            _writing = true;
        }

        if (lead)
        {
            _ = Task.Run(WriteGroupsAsync, CancellationToken.None);
        }

        return ending.Done.Task;
    }

    // Runs until no ending is waiting; never throws (a failed ending fails exactly its own caller).
    private async Task WriteGroupsAsync()
    {
        while (true)
        {
            List<PendingEnding> group;
            lock (_gate)
            {
                if (_waiting.Count == 0)
                {
                    _writing = false;
                    return;
                }

                group = Take(_waiting, out var later);
                _waiting = later;
            }

            await WriteGroupAsync(group);
        }
    }

    /// <summary>
    /// Up to <see cref="MaxGroup"/> endings, one per task (a second ending of the same task waits for the next group, so
    /// it meets the first's committed row, as it would have alone); the rest stay waiting, in arrival order.
    /// </summary>
    private static List<PendingEnding> Take(List<PendingEnding> waiting, out List<PendingEnding> later)
    {
        var group = new List<PendingEnding>(Math.Min(waiting.Count, MaxGroup));
        var ids = new HashSet<string>(StringComparer.Ordinal);
        later = [];
        foreach (var ending in waiting)
        {
            if (group.Count < MaxGroup && ids.Add(ending.Id))
            {
                group.Add(ending);
            }
            else
            {
                later.Add(ending);
            }
        }

        return group;
    }

    private async Task WriteGroupAsync(List<PendingEnding> group)
    {
        try
        {
            var ended = await db.WriteAsync(connection => EndManyAsync(connection, group, CancellationToken.None), CancellationToken.None);
            for (var i = 0; i < group.Count; i++)
            {
                group[i].Done.TrySetResult(ended[i]);
            }

            return;
        }
        catch (Exception ex) when (group.Count == 1)
        {
            group[0].Done.TrySetException(ex);
            return;
        }
        catch (Exception)
        {
            // Which ending failed is not known: each is written alone, and answers for itself.
        }

        foreach (var ending in group)
        {
            try
            {
                var ended = await db.WriteAsync(connection => EndManyAsync(connection, [ending], CancellationToken.None), CancellationToken.None);
                ending.Done.TrySetResult(ended[0]);
            }
            catch (Exception ex)
            {
                ending.Done.TrySetException(ex);
            }
        }
    }

    // One statement for every transition of the group, each conditional on its own lease owner and on the task still
    // processing (the compare-and-swap of a lone ending). The subquery locks the rows in id order, so two nodes' groups
    // (or a group and a poll group, which lock in the same order) never wait for each other in a cycle. A completion
    // keeps the row's error columns, a failure its expiry, as the lone statements did.
    private const string EndSql = """
        UPDATE tasks t
           SET status = e.status,
               progress = CASE WHEN e.status = 'completed' THEN 100 ELSE t.progress END,
               completed_at = e.now,
               expires_at = CASE WHEN e.status = 'completed' THEN e.expires ELSE t.expires_at END,
               error_code = CASE WHEN e.status = 'completed' THEN t.error_code ELSE e.code END,
               error_message = CASE WHEN e.status = 'completed' THEN t.error_message ELSE e.message END,
               lease_owner = NULL, lease_until = NULL
          FROM (SELECT id FROM tasks WHERE id = ANY(@ids) ORDER BY id FOR UPDATE) locked,
               unnest(@ids::text[], @owners::text[], @statuses::text[], @nows::bigint[], @expires::bigint[], @codes::text[], @messages::text[])
                 AS e(id, owner, status, now, expires, code, message)
         WHERE t.id = locked.id AND e.id = t.id AND t.lease_owner = e.owner AND t.status = 'processing'
        RETURNING t.id;
        """;

    /// <summary>
    /// The group's transitions, then the participants' work for the tasks they ended, in the caller's transaction.
    /// True for each ending whose transition changed its row.
    /// </summary>
    private async Task<bool[]> EndManyAsync(NpgsqlConnection connection, IReadOnlyList<PendingEnding> group, CancellationToken ct)
    {
        var ended = (await Pg.Command(connection, EndSql)
                .Bind("ids", group.Select(e => e.Id).ToArray())
                .Bind("owners", group.Select(e => e.Owner).ToArray())
                .Bind("statuses", group.Select(e => e.Ending.Status.Word()).ToArray())
                .Bind("nows", group.Select(e => Pg.Ms(e.Now)).ToArray())
                .Bind("expires", group.Select(e => Pg.Ms(e.ExpiresAt)).ToArray())
                .Bind("codes", group.Select(e => e.Code).ToArray())
                .Bind("messages", group.Select(e => e.Message).ToArray())
                .AllAsync(static r => r.GetString(0), ct))
            .ToHashSet(StringComparer.Ordinal);
        if (participant is not null && ended.Count > 0)
        {
            await participant.EndedManyAsync(connection, [.. group.Where(e => ended.Contains(e.Id)).Select(e => new EndedTask(e.Id, e.Ending, e.Now))], ct);
        }

        return [.. group.Select(e => ended.Contains(e.Id))];
    }
}
