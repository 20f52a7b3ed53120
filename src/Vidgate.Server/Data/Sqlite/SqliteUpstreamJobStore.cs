using Microsoft.Data.Sqlite;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Data.Sqlite;

/// <summary>
/// <see cref="IUpstreamJobStore"/> on SQLite: each change one conditional statement (two at most, in one write). An
/// upstream's reported cost also goes to the <paramref name="participants"/> (billing), in the same write.
/// </summary>
internal sealed class SqliteUpstreamJobStore(SqliteDatabase db, IEnumerable<ITaskParticipant>? participants = null) : IUpstreamJobStore
{
    private readonly TaskParticipants? participant = TaskParticipants.Of(participants);

    private const string Columns = "task_id, provider_id, key_index, phase, upstream_id, state, submitted_at, accepted_at, deadline_at, polls, last_progress";

    private const string TryLeaseSql = """
        UPDATE tasks SET lease_owner = $owner, lease_until = $lease
         WHERE id = $id AND status = 'processing' AND (lease_owner IS NULL OR lease_until < $now OR lease_owner = $owner);
        """;

    private const string Leased = "EXISTS (SELECT 1 FROM tasks WHERE id = $id AND lease_owner = $owner AND status = 'processing')";

    public Task<bool> AnyQueuedAsync(IReadOnlyCollection<string> except, DateTimeOffset now, CancellationToken ct) => db.ReadAsync(connection =>
        Sql.Command(connection, "SELECT 1 FROM tasks WHERE status = 'queued' AND run_after <= $now AND provider NOT IN (SELECT value FROM json_each($except)) LIMIT 1;")
            .Bind("$now", Sql.Ms(now)).Bind("$except", System.Text.Json.JsonSerializer.Serialize(except.ToArray(), StoreJson.Default.StringArray))
            .ExecuteScalar() is not null, ct);

    public Task<bool> BeginSubmitAsync(string taskId, string owner, string providerId, int keyIndex, DateTimeOffset now, DateTimeOffset deadline, CancellationToken ct)
        => db.WriteAsync(connection => Sql.Command(connection, $"""
            INSERT INTO upstream_jobs (task_id, provider_id, key_index, phase, submitted_at, deadline_at, next_poll_at)
            SELECT $id, $provider, $key, 'submitting', $now, $deadline, $deadline WHERE {Leased}
            ON CONFLICT (task_id) DO UPDATE SET provider_id = $provider, key_index = $key, submitted_at = $now
             WHERE phase = 'submitting';
            """).Bind("$id", taskId).Bind("$owner", owner).Bind("$provider", providerId).Bind("$key", keyIndex)
            .Bind("$now", Sql.Ms(now)).Bind("$deadline", Sql.Ms(deadline)).Changed(), ct);

    public Task<bool> AcceptedAsync(string taskId, string owner, string upstreamId, string? state, DateTimeOffset now, DateTimeOffset firstPoll, Delivered? delivered, CancellationToken ct)
        => db.WriteAsync(connection =>
        {
            var changed = Sql.Command(connection, $"""
                UPDATE upstream_jobs SET phase = 'tracking', upstream_id = $upstream, state = $state, accepted_at = $now, next_poll_at = $next
                 WHERE task_id = $id AND phase = 'submitting' AND {Leased};
                """).Bind("$id", taskId).Bind("$owner", owner).Bind("$upstream", upstreamId).Bind("$state", state)
                .Bind("$now", Sql.Ms(now)).Bind("$next", Sql.Ms(firstPoll)).Changed();
            if (!changed)
            {
                return false;
            }

            Sql.Command(connection, """
                UPDATE tasks SET upstream_id = $upstream, lease_owner = NULL, lease_until = NULL,
                                 seconds = COALESCE($seconds, seconds), width = COALESCE($width, width), height = COALESCE($height, height),
                                 aspect_ratio = COALESCE($aspect, aspect_ratio), resolution = COALESCE($resolution, resolution)
                 WHERE id = $id AND lease_owner = $owner;
                """).Bind("$id", taskId).Bind("$owner", owner).Bind("$upstream", upstreamId)
                .Bind("$seconds", delivered?.Seconds).Bind("$width", delivered?.Width).Bind("$height", delivered?.Height)
                .Bind("$aspect", delivered?.AspectRatio).Bind("$resolution", delivered?.Resolution).ExecuteNonQuery();
            return true;
        }, ct);

    public Task<bool> DeferAsync(string taskId, string owner, DateTimeOffset runAfter, CancellationToken ct) => db.WriteAsync(connection =>
    {
        Sql.Command(connection, $"DELETE FROM upstream_jobs WHERE task_id = $id AND phase = 'submitting' AND {Leased};")
            .Bind("$id", taskId).Bind("$owner", owner).ExecuteNonQuery();
        return Sql.Command(connection, """
            UPDATE tasks SET status = 'queued', lease_owner = NULL, lease_until = NULL, run_after = $after
             WHERE id = $id AND lease_owner = $owner AND status = 'processing';
            """).Bind("$id", taskId).Bind("$owner", owner).Bind("$after", Sql.Ms(runAfter)).Changed();
    }, ct);

    public Task<IReadOnlyList<UpstreamJobRow>> ClaimDueAsync(DateTimeOffset now, DateTimeOffset leaseUntil, int limit, CancellationToken ct) => db.WriteAsync(connection =>
        (IReadOnlyList<UpstreamJobRow>)Sql.Command(connection, $"""
            UPDATE upstream_jobs SET next_poll_at = $lease, polls = polls + 1
             WHERE task_id IN (SELECT task_id FROM upstream_jobs
                                WHERE phase = 'tracking' AND next_poll_at <= $now
                                ORDER BY next_poll_at LIMIT $limit)
            RETURNING {Columns};
            """).Bind("$now", Sql.Ms(now)).Bind("$lease", Sql.Ms(leaseUntil)).Bind("$limit", limit).All(Map), ct);

    /// <summary>
    /// The earliest poll a claim could take: the same condition as the claim, the first entry of the due index. A job
    /// whose task has ended is no longer "tracking" (migration 0013 ends it with its task), so it never wakes the
    /// tracker every few milliseconds for nothing.
    /// </summary>
    private const string NextDueSql = "SELECT next_poll_at FROM upstream_jobs WHERE phase = 'tracking' ORDER BY next_poll_at LIMIT 1;";

    public Task<DateTimeOffset?> NextDueAsync(CancellationToken ct) => db.ReadAsync(connection =>
        Sql.Command(connection, NextDueSql).ExecuteScalar() is long ms
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : (DateTimeOffset?)null, ct);

    public Task RecordPollAsync(string taskId, DateTimeOffset nextPollAt, int? progress, CancellationToken ct) => db.WriteAsync(connection =>
    {
        Sql.Command(connection, "UPDATE upstream_jobs SET next_poll_at = $next, last_progress = MAX(last_progress, $progress) WHERE task_id = $id;")
            .Bind("$id", taskId).Bind("$next", Sql.Ms(nextPollAt)).Bind("$progress", progress ?? 0).ExecuteNonQuery();
        if (progress is > 0)
        {
            var to = Math.Clamp(progress.Value, 0, 99);
            var before = participant is null ? null : SqliteTaskStore.ProgressOf(connection, taskId);
            if (Sql.Command(connection, "UPDATE tasks SET progress = MAX(progress, $progress) WHERE id = $id AND status = 'processing';")
                    .Bind("$id", taskId).Bind("$progress", to).Changed()
                && before is { } from && from < to)
            {
                participant!.ProgressedAsync(connection, taskId, from, to, CancellationToken.None).Completed();
            }
        }

        return true;
    }, ct);

    public Task<bool> TryLeaseAsync(string taskId, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken ct)
        => db.WriteAsync(connection => TryLease(connection, taskId, owner, now, leaseUntil), ct);

    public Task<bool> TryLeaseDoneAsync(string taskId, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, long? costUsdTicks, CancellationToken ct)
        => db.WriteAsync(connection =>
        {
            if (!TryLease(connection, taskId, owner, now, leaseUntil))
            {
                return false;
            }

            if (costUsdTicks is { } ticks and >= 0)
            {
                Sql.Command(connection, "UPDATE upstream_jobs SET cost_usd_ticks = $ticks WHERE task_id = $id;").Bind("$id", taskId).Bind("$ticks", ticks).ExecuteNonQuery();
                participant?.CostReportedAsync(connection, taskId, ticks, CancellationToken.None).Completed();
            }

            return true;
        }, ct);

    private static bool TryLease(SqliteConnection connection, string taskId, string owner, DateTimeOffset now, DateTimeOffset leaseUntil)
        => Sql.Command(connection, TryLeaseSql).Bind("$id", taskId).Bind("$owner", owner).Bind("$now", Sql.Ms(now)).Bind("$lease", Sql.Ms(leaseUntil)).Changed();

    public Task ReleaseToTrackingAsync(string taskId, string owner, DateTimeOffset nextPollAt, CancellationToken ct) => db.WriteAsync(connection =>
    {
        Sql.Command(connection, "UPDATE upstream_jobs SET next_poll_at = $next WHERE task_id = $id;").Bind("$id", taskId).Bind("$next", Sql.Ms(nextPollAt)).ExecuteNonQuery();
        return Sql.Command(connection, "UPDATE tasks SET lease_owner = NULL, lease_until = NULL WHERE id = $id AND lease_owner = $owner AND status = 'processing';")
            .Bind("$id", taskId).Bind("$owner", owner).Changed();
    }, ct);

    private const string StrandedSql = """
        SELECT j.task_id, j.provider_id, j.key_index, j.phase, j.upstream_id, j.state, j.submitted_at, j.accepted_at, j.deadline_at,
               j.polls, j.last_progress
          FROM upstream_jobs j JOIN tasks t ON t.id = j.task_id
         WHERE j.phase = 'submitting' AND t.status = 'processing' AND (t.lease_until IS NULL OR t.lease_until < $now)
         LIMIT $limit;
        """;

    public Task<IReadOnlyList<UpstreamJobRow>> StrandedSubmitsAsync(DateTimeOffset now, int limit, CancellationToken ct) => db.ReadAsync(connection =>
        (IReadOnlyList<UpstreamJobRow>)Sql.Command(connection, StrandedSql).Bind("$now", Sql.Ms(now)).Bind("$limit", limit).All(Map), ct);

    public Task<UpstreamJobRow?> GetAsync(string taskId, CancellationToken ct) => db.ReadAsync(connection =>
        Sql.Command(connection, $"SELECT {Columns} FROM upstream_jobs WHERE task_id = $id;").Bind("$id", taskId).One(Map), ct);

    public Task MarkFinishedAsync(string taskId, CancellationToken ct) => db.WriteAsync(connection =>
        Sql.Command(connection, "UPDATE upstream_jobs SET phase = 'finished' WHERE task_id = $id AND phase <> 'finished';").Bind("$id", taskId).Changed(), ct);

    public Task<int> PurgeFinishedAsync(CancellationToken ct) => db.WriteAsync(connection => Sql.Command(connection, """
        DELETE FROM upstream_jobs WHERE NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = upstream_jobs.task_id);
        """).ExecuteNonQuery() + Sql.Command(connection, """
        UPDATE upstream_jobs SET phase = 'finished'
         WHERE phase <> 'finished' AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = upstream_jobs.task_id AND t.status IN ('processing', 'queued'));
        """).ExecuteNonQuery(), ct);

    public Task<IReadOnlyDictionary<string, int>> InFlightAsync(CancellationToken ct) => db.ReadAsync(connection =>
        (IReadOnlyDictionary<string, int>)Sql.Command(connection, """
            SELECT j.provider_id, COUNT(*) FROM upstream_jobs j JOIN tasks t ON t.id = j.task_id WHERE t.status = 'processing' GROUP BY j.provider_id;
            """).All(static r => (Provider: r.GetString(0), Count: r.GetInt32(1))).ToDictionary(p => p.Provider, p => p.Count, StringComparer.Ordinal), ct);

    public Task<bool> SetCallbackAsync(string taskId, string owner, string tokenHash, CancellationToken ct) => db.WriteAsync(connection =>
        Sql.Command(connection, $"UPDATE upstream_jobs SET callback_hash = $hash WHERE task_id = $id AND phase = 'submitting' AND {Leased};")
            .Bind("$id", taskId).Bind("$owner", owner).Bind("$hash", tokenHash).Changed(), ct);

    public Task<CallbackWake> WakeAsync(string providerId, string tokenHash, DateTimeOffset now, CancellationToken ct) => db.WriteAsync(connection =>
    {
        if (Sql.Command(connection, WakeSql).Bind("$provider", providerId).Bind("$hash", tokenHash).Bind("$now", Sql.Ms(now)).Changed())
        {
            return CallbackWake.Woken;
        }

        return Sql.Command(connection, "SELECT 1 FROM upstream_jobs WHERE callback_hash = $hash AND provider_id = $provider;")
            .Bind("$provider", providerId).Bind("$hash", tokenHash).ExecuteScalar() is null ? CallbackWake.Unknown : CallbackWake.Idle;
    }, ct);

    // A task leased for a terminal step (the finisher downloading it) is left alone: a poll now could take it twice.
    private const string WakeSql = """
        UPDATE upstream_jobs SET next_poll_at = MIN(next_poll_at, $now)
         WHERE callback_hash = $hash AND provider_id = $provider AND phase = 'tracking'
           AND EXISTS (SELECT 1 FROM tasks t WHERE t.id = upstream_jobs.task_id AND t.status = 'processing'
                        AND (t.lease_owner IS NULL OR t.lease_until < $now));
        """;

    private static UpstreamJobRow Map(SqliteDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetString(3), r.TextOrNull(4), r.TextOrNull(5),
        r.Time(6), r.TimeOrNull(7), r.Time(8), r.GetInt32(9), r.GetInt32(10));
}
