using Microsoft.Data.Sqlite;

namespace Vidgate.Server.Tasks;

/// <summary><see cref="IUpstreamJobStore"/> on SQLite: each change one conditional statement (two at most, in one write).</summary>
internal sealed class SqliteUpstreamJobStore(SqliteDatabase db) : IUpstreamJobStore
{
    private const string Columns = "task_id, provider_id, key_index, phase, upstream_id, state, submitted_at, accepted_at, deadline_at, polls, last_progress";

    private const string TryLeaseSql = """
        UPDATE tasks SET lease_owner = $owner, lease_until = $lease
         WHERE id = $id AND status = 'processing' AND (lease_owner IS NULL OR lease_until < $now OR lease_owner = $owner);
        """;

    private const string Leased = "EXISTS (SELECT 1 FROM tasks WHERE id = $id AND lease_owner = $owner AND status = 'processing')";

    public Task<bool> AnyQueuedAsync(IReadOnlyCollection<string> except, DateTimeOffset now, CancellationToken ct) => db.ReadAsync(connection =>
    {
        using var command = Command(connection,
            "SELECT 1 FROM tasks WHERE status = 'queued' AND run_after <= $now AND provider NOT IN (SELECT value FROM json_each($except)) LIMIT 1;",
            ("$now", Ms(now)), ("$except", System.Text.Json.JsonSerializer.Serialize(except.ToArray(), StoreJson.Default.StringArray)));
        return command.ExecuteScalar() is not null;
    }, ct);

    public Task<bool> BeginSubmitAsync(string taskId, string owner, string providerId, int keyIndex, DateTimeOffset now, DateTimeOffset deadline, CancellationToken ct)
        => Changed($"""
            INSERT INTO upstream_jobs (task_id, provider_id, key_index, phase, submitted_at, deadline_at, next_poll_at)
            SELECT $id, $provider, $key, 'submitting', $now, $deadline, $deadline WHERE {Leased}
            ON CONFLICT (task_id) DO UPDATE SET provider_id = $provider, key_index = $key, submitted_at = $now
             WHERE phase = 'submitting';
            """, ct, ("$id", taskId), ("$owner", owner), ("$provider", providerId), ("$key", keyIndex), ("$now", Ms(now)), ("$deadline", Ms(deadline)));

    public Task<bool> AcceptedAsync(string taskId, string owner, string upstreamId, string? state, DateTimeOffset now, DateTimeOffset firstPoll, CancellationToken ct)
        => db.WriteAsync(connection =>
        {
            var changed = Execute(connection, $"""
                UPDATE upstream_jobs SET phase = 'tracking', upstream_id = $upstream, state = $state, accepted_at = $now, next_poll_at = $next
                 WHERE task_id = $id AND phase = 'submitting' AND {Leased};
                """, ("$id", taskId), ("$owner", owner), ("$upstream", upstreamId), ("$state", state), ("$now", Ms(now)), ("$next", Ms(firstPoll)));
            if (changed == 0)
            {
                return false;
            }

            Execute(connection, """
                UPDATE tasks SET upstream_id = $upstream, lease_owner = NULL, lease_until = NULL WHERE id = $id AND lease_owner = $owner;
                """, ("$id", taskId), ("$owner", owner), ("$upstream", upstreamId));
            return true;
        }, ct);

    public Task<bool> DeferAsync(string taskId, string owner, DateTimeOffset runAfter, CancellationToken ct) => db.WriteAsync(connection =>
    {
        Execute(connection, $"DELETE FROM upstream_jobs WHERE task_id = $id AND phase = 'submitting' AND {Leased};", ("$id", taskId), ("$owner", owner));
        return Execute(connection, """
            UPDATE tasks SET status = 'queued', lease_owner = NULL, lease_until = NULL, run_after = $after
             WHERE id = $id AND lease_owner = $owner AND status = 'processing';
            """, ("$id", taskId), ("$owner", owner), ("$after", Ms(runAfter))) > 0;
    }, ct);

    public Task<IReadOnlyList<UpstreamJobRow>> ClaimDueAsync(DateTimeOffset now, DateTimeOffset leaseUntil, int limit, CancellationToken ct) => db.WriteAsync(connection =>
    {
        using var command = Command(connection, $"""
            UPDATE upstream_jobs SET next_poll_at = $lease, polls = polls + 1
             WHERE task_id IN (SELECT j.task_id FROM upstream_jobs j JOIN tasks t ON t.id = j.task_id
                                WHERE j.phase = 'tracking' AND j.next_poll_at <= $now AND t.status = 'processing'
                                ORDER BY j.next_poll_at LIMIT $limit)
            RETURNING {Columns};
            """, ("$now", Ms(now)), ("$lease", Ms(leaseUntil)), ("$limit", limit));
        return (IReadOnlyList<UpstreamJobRow>)ReadAll(command);
    }, ct);

    public Task<DateTimeOffset?> NextDueAsync(CancellationToken ct) => db.ReadAsync(connection =>
    {
        using var command = Command(connection, "SELECT MIN(next_poll_at) FROM upstream_jobs WHERE phase = 'tracking';");
        return command.ExecuteScalar() is long ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : (DateTimeOffset?)null;
    }, ct);

    public Task RecordPollAsync(string taskId, DateTimeOffset nextPollAt, int? progress, CancellationToken ct) => db.WriteAsync(connection =>
    {
        Execute(connection, "UPDATE upstream_jobs SET next_poll_at = $next, last_progress = MAX(last_progress, $progress) WHERE task_id = $id;",
            ("$id", taskId), ("$next", Ms(nextPollAt)), ("$progress", progress ?? 0));
        if (progress is > 0)
        {
            Execute(connection, "UPDATE tasks SET progress = MAX(progress, $progress) WHERE id = $id AND status = 'processing';",
                ("$id", taskId), ("$progress", Math.Clamp(progress.Value, 0, 99)));
        }

        return true;
    }, ct);

    public Task<bool> TryLeaseAsync(string taskId, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken ct)
        => Changed(TryLeaseSql, ct, ("$id", taskId), ("$owner", owner), ("$now", Ms(now)), ("$lease", Ms(leaseUntil)));

    public Task<bool> TryLeaseDoneAsync(string taskId, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, long? costUsdTicks, CancellationToken ct)
        => db.WriteAsync(connection =>
        {
            if (Execute(connection, TryLeaseSql, ("$id", taskId), ("$owner", owner), ("$now", Ms(now)), ("$lease", Ms(leaseUntil))) == 0)
            {
                return false;
            }

            if (costUsdTicks is { } ticks and >= 0)
            {
                Execute(connection, "UPDATE upstream_jobs SET cost_usd_ticks = $ticks WHERE task_id = $id;", ("$id", taskId), ("$ticks", ticks));
                Execute(connection, "UPDATE holds SET upstream_cost_usd_ticks = $ticks WHERE task_id = $id;", ("$id", taskId), ("$ticks", ticks));
            }

            return true;
        }, ct);

    public Task ReleaseToTrackingAsync(string taskId, string owner, DateTimeOffset nextPollAt, CancellationToken ct) => db.WriteAsync(connection =>
    {
        Execute(connection, "UPDATE upstream_jobs SET next_poll_at = $next WHERE task_id = $id;", ("$id", taskId), ("$next", Ms(nextPollAt)));
        return Execute(connection, "UPDATE tasks SET lease_owner = NULL, lease_until = NULL WHERE id = $id AND lease_owner = $owner AND status = 'processing';",
            ("$id", taskId), ("$owner", owner));
    }, ct);

    public Task<IReadOnlyList<UpstreamJobRow>> StrandedSubmitsAsync(DateTimeOffset now, int limit, CancellationToken ct) => db.ReadAsync(connection =>
    {
        using var command = Command(connection, $"""
            SELECT {string.Join(", ", Columns.Split(", ").Select(c => "j." + c))} FROM upstream_jobs j JOIN tasks t ON t.id = j.task_id
             WHERE j.phase = 'submitting' AND t.status = 'processing' AND (t.lease_until IS NULL OR t.lease_until < $now)
             LIMIT $limit;
            """, ("$now", Ms(now)), ("$limit", limit));
        return (IReadOnlyList<UpstreamJobRow>)ReadAll(command);
    }, ct);

    public Task<UpstreamJobRow?> GetAsync(string taskId, CancellationToken ct) => db.ReadAsync(connection =>
    {
        using var command = Command(connection, $"SELECT {Columns} FROM upstream_jobs WHERE task_id = $id;", ("$id", taskId));
        return ReadAll(command).FirstOrDefault();
    }, ct);

    public Task MarkFinishedAsync(string taskId, CancellationToken ct)
        => Changed("UPDATE upstream_jobs SET phase = 'finished' WHERE task_id = $id;", ct, ("$id", taskId));

    public Task<int> PurgeFinishedAsync(CancellationToken ct) => db.WriteAsync(connection => Execute(connection, """
        DELETE FROM upstream_jobs WHERE NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = upstream_jobs.task_id);
        """) + Execute(connection, """
        UPDATE upstream_jobs SET phase = 'finished'
         WHERE phase <> 'finished' AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = upstream_jobs.task_id AND t.status IN ('processing', 'queued'));
        """), ct);

    public Task<IReadOnlyDictionary<string, int>> InFlightAsync(CancellationToken ct) => db.ReadAsync(connection =>
    {
        using var command = Command(connection, """
            SELECT j.provider_id, COUNT(*) FROM upstream_jobs j JOIN tasks t ON t.id = j.task_id WHERE t.status = 'processing' GROUP BY j.provider_id;
            """);
        using var reader = command.ExecuteReader();
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        while (reader.Read())
        {
            counts[reader.GetString(0)] = reader.GetInt32(1);
        }

        return (IReadOnlyDictionary<string, int>)counts;
    }, ct);

    private Task<bool> Changed(string sql, CancellationToken ct, params (string Name, object? Value)[] parameters)
        => db.WriteAsync(connection => Execute(connection, sql, parameters) > 0, ct);

    private static int Execute(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        return command.ExecuteNonQuery();
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    private static List<UpstreamJobRow> ReadAll(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var rows = new List<UpstreamJobRow>();
        while (reader.Read())
        {
            rows.Add(new UpstreamJobRow(
                reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5),
                Time(reader.GetInt64(6)), reader.IsDBNull(7) ? null : Time(reader.GetInt64(7)), Time(reader.GetInt64(8)),
                reader.GetInt32(9), reader.GetInt32(10)));
        }

        return rows;
    }

    private static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static long Ms(DateTimeOffset time) => time.ToUnixTimeMilliseconds();
}
