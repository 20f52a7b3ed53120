using System.Text.Json;
using Microsoft.Data.Sqlite;
using Vidgate.Server.Billing;

namespace Vidgate.Server.Tasks;

/// <summary>
/// <see cref="ITaskStore"/> on the embedded SQLite database. Every transition is one conditional statement.
/// </summary>
internal sealed class SqliteTaskStore(SqliteDatabase db) : ITaskStore
{
    /// <summary>Tasks read lately, each with the write generation it was read at (see <see cref="GetAsync"/>).</summary>
    private const int MaxRecent = 4096;

    /// <summary>How long a remembered read may answer at most: bounds what another process on the same file may change unseen.</summary>
    private const long MaxAgeMs = 250;

    private static readonly Task<VideoTask?> NoTask = Task.FromResult<VideoTask?>(null);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (long Generation, long ReadAtMs, Task<VideoTask?> Task)> _recent = new(StringComparer.Ordinal);

    private const string Columns = """
        id, account_id, key_id, dialect, model, prompt, seconds, width, height, aspect_ratio, resolution, inputs,
        provider, status, progress, attempts, upstream_id, created_at, started_at, completed_at, expires_at,
        content_deleted_at, error_code, error_message, remixed_from_id
        """;

    private const string InsertSql = """
        INSERT INTO tasks (id, account_id, key_id, dialect, model, prompt, seconds, width, height, aspect_ratio,
                           resolution, inputs, provider, status, progress, run_after, created_at, remixed_from_id)
        VALUES ($id, $account, $key, $dialect, $model, $prompt, $seconds, $width, $height, $aspect,
                $resolution, $inputs, $provider, 'queued', 0, $created, $created, $remixed);
        """;

    public Task InsertAsync(VideoTask task, CancellationToken ct) => InsertAsync(task, null, null, ct);

    public async Task<InsertOutcome> InsertAsync(VideoTask task, HoldRequest? hold, IdempotencyClaim? idempotency, CancellationToken ct)
    {
        return await InsertWriteAsync(task, hold, idempotency, ct);
    }

    private Task<InsertOutcome> InsertWriteAsync(VideoTask task, HoldRequest? hold, IdempotencyClaim? idempotency, CancellationToken ct) => db.WriteAsync(connection =>
    {
        // Checked again here, in the one writer, so concurrent duplicates of a key make exactly one task.
        if (idempotency is not null && Idempotency.Find(connection, task.AccountId, idempotency.Key) is { } earlier)
        {
            return earlier.RequestHash.AsSpan().SequenceEqual(idempotency.RequestHash)
                ? new InsertOutcome.Existing(earlier.TaskId)
                : (InsertOutcome)new InsertOutcome.KeyReused();
        }

        if (hold is not null && Ledger.Hold(connection, hold, task.CreatedAt) is { } refusal)
        {
            return new InsertOutcome.Refused(refusal);
        }

        var command = Statements.For(connection, InsertSql);
        command.Parameters.AddWithValue("$id", task.Id);
        command.Parameters.AddWithValue("$account", task.AccountId);
        command.Parameters.AddWithValue("$key", task.KeyId);
        command.Parameters.AddWithValue("$dialect", task.Dialect.ToString());
        command.Parameters.AddWithValue("$model", task.Model);
        command.Parameters.AddWithValue("$prompt", task.Prompt);
        command.Parameters.AddWithValue("$seconds", task.Seconds);
        command.Parameters.AddWithValue("$width", task.Width);
        command.Parameters.AddWithValue("$height", task.Height);
        command.Parameters.AddWithValue("$aspect", task.AspectRatio);
        command.Parameters.AddWithValue("$resolution", task.Resolution);
        command.Parameters.AddWithValue("$inputs", JsonSerializer.Serialize(task.InputKeys, StoreJson.Default.IReadOnlyListString));
        command.Parameters.AddWithValue("$provider", task.Provider);
        command.Parameters.AddWithValue("$created", Ms(task.CreatedAt));
        command.Parameters.AddWithValue("$remixed", (object?)task.RemixedFromId ?? DBNull.Value);
        command.ExecuteNonQuery();
        if (idempotency is not null)
        {
            Idempotency.Record(connection, task.AccountId, idempotency, task.Id, task.CreatedAt);
        }

        return new InsertOutcome.Created();
    }, ct);

    private const string GetSql = $"SELECT {Columns} FROM tasks WHERE id = $id AND ($account IS NULL OR account_id = $account);";

    /// <summary>
    /// The poll path. A task read at the database's current write generation, less than <see cref="MaxAgeMs"/> ago, is
    /// answered from memory: no write of this process has committed since, so the row is what SQLite would return
    /// (read-your-writes holds, since the generation moves before a writer hears back). Another process on the same
    /// file (an API-only node) is not seen by the generation; its writes show within <see cref="MaxAgeMs"/>. Otherwise
    /// a kept prepared statement on a reader connection reads it.
    /// </summary>
    public Task<VideoTask?> GetAsync(string id, string? accountId, CancellationToken ct)
    {
        var generation = db.Generation;
        if (_recent.TryGetValue(id, out var hit) && hit.Generation == generation && Environment.TickCount64 - hit.ReadAtMs < MaxAgeMs)
        {
            return accountId is null || hit.Task.Result!.AccountId == accountId ? hit.Task : NoTask;
        }

        return ReadAndRememberAsync(id, accountId, generation, ct);
    }

    private async Task<VideoTask?> ReadAndRememberAsync(string id, string? accountId, long generation, CancellationToken ct)
    {
        var readAt = Environment.TickCount64;
        var task = await db.ReadAsync(connection =>
        {
            var command = SqliteDatabase.Prepared(connection, GetSql);
            command.Parameters.AddWithValue("$id", id);
            command.Parameters.AddWithValue("$account", DBNull.Value);
            return ReadOne(command);
        }, ct);
        if (task is null)
        {
            return null;
        }

        if (_recent.Count >= MaxRecent)
        {
            _recent.Clear();
        }

        _recent[id] = (generation, readAt, Task.FromResult<VideoTask?>(task));
        return accountId is null || task.AccountId == accountId ? task : null;
    }

    public Task<IReadOnlyList<VideoTask>> ListAsync(string accountId, string? after, int limit, bool descending, CancellationToken ct) => db.ReadAsync(connection =>
    {
        using var command = connection.CreateCommand();
        var (comparison, order) = descending ? ("<", "DESC") : (">", "ASC");
        command.CommandText = $"""
            SELECT {Columns} FROM tasks
             WHERE account_id = $account AND ($after IS NULL OR id {comparison} $after)
             ORDER BY id {order} LIMIT $limit;
            """;
        command.Parameters.AddWithValue("$account", accountId);
        command.Parameters.AddWithValue("$after", (object?)after ?? DBNull.Value);
        command.Parameters.AddWithValue("$limit", limit);
        return (IReadOnlyList<VideoTask>)ReadAll(command);
    }, ct);

    public Task<VideoTask?> TryClaimAsync(IReadOnlyCollection<string> providers, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken ct)
        => ClaimAsync("IN", providers, owner, now, leaseUntil, ct);

    public Task<VideoTask?> TryClaimExceptAsync(IReadOnlyCollection<string> except, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken ct)
        => ClaimAsync("NOT IN", except, owner, now, leaseUntil, ct);

    private Task<VideoTask?> ClaimAsync(string match, IReadOnlyCollection<string> providers, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken ct)
        => db.WriteAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"""
                UPDATE tasks
                   SET status = 'processing', lease_owner = $owner, lease_until = $lease, attempts = attempts + 1,
                       started_at = COALESCE(started_at, $now)
                 WHERE id = (SELECT id FROM tasks
                              WHERE status = 'queued' AND run_after <= $now
                                AND provider {match} (SELECT value FROM json_each($providers))
                              ORDER BY run_after, id LIMIT 1)
                RETURNING {Columns};
                """;
            command.Parameters.AddWithValue("$owner", owner);
            command.Parameters.AddWithValue("$lease", Ms(leaseUntil));
            command.Parameters.AddWithValue("$now", Ms(now));
            command.Parameters.AddWithValue("$providers", JsonSerializer.Serialize(providers.ToArray(), StoreJson.Default.StringArray));
            return ReadOne(command);
        }, ct);

    public Task<bool> HeartbeatAsync(string id, string owner, DateTimeOffset leaseUntil, int progress, CancellationToken ct)
        => Changed("""
            UPDATE tasks SET lease_until = $lease, progress = MAX(progress, $progress)
             WHERE id = $id AND lease_owner = $owner AND status = 'processing';
            """, ct, ("$id", id), ("$owner", owner), ("$lease", Ms(leaseUntil)), ("$progress", Math.Clamp(progress, 0, 99)));

    public Task<bool> CompleteAsync(string id, string owner, DateTimeOffset now, DateTimeOffset? expiresAt, CancellationToken ct)
        => CompleteAsync(id, owner, now, expiresAt, null, ct);

    public Task<bool> CompleteAsync(string id, string owner, DateTimeOffset now, DateTimeOffset? expiresAt, int? actualSeconds, CancellationToken ct)
        => EndAsync(VideoStatus.Completed, connection => Ledger.Settle(connection, id, actualSeconds, now), """
            UPDATE tasks SET status = 'completed', progress = 100, completed_at = $now, expires_at = $expires,
                             lease_owner = NULL, lease_until = NULL
             WHERE id = $id AND lease_owner = $owner AND status = 'processing'
            RETURNING provider;
            """, ct, ("$id", id), ("$owner", owner), ("$now", Ms(now)), ("$expires", expiresAt is { } e ? Ms(e) : null));

    public Task<bool> FailAsync(string id, string owner, string code, string message, DateTimeOffset now, CancellationToken ct)
        => EndAsync(VideoStatus.Failed, connection => Ledger.Release(connection, id, "failed", now), """
            UPDATE tasks SET status = 'failed', completed_at = $now, error_code = $code, error_message = $message,
                             lease_owner = NULL, lease_until = NULL
             WHERE id = $id AND lease_owner = $owner AND status = 'processing'
            RETURNING provider;
            """, ct, ("$id", id), ("$owner", owner), ("$now", Ms(now)), ("$code", code), ("$message", message));

    public Task<bool> ReleaseAsync(string id, string owner, CancellationToken ct)
        => Changed("""
            UPDATE tasks SET status = 'queued', lease_owner = NULL, lease_until = NULL
             WHERE id = $id AND lease_owner = $owner AND status = 'processing';
            """, ct, ("$id", id), ("$owner", owner));

    public async Task<(VideoTask? Task, bool Changed)> CancelAsync(string id, string accountId, DateTimeOffset now, CancellationToken ct)
    {
        var (task, changed, _) = await CancelWriteAsync(id, accountId, now, ct);
        return (task, changed);
    }

    private Task<(VideoTask? Task, bool Changed, HoldClosed? Hold)> CancelWriteAsync(string id, string accountId, DateTimeOffset now, CancellationToken ct)
        => db.WriteAsync(connection =>
        {
            using var update = connection.CreateCommand();
            update.CommandText = $"""
                UPDATE tasks SET status = 'cancelled', completed_at = $now, error_code = 'cancelled',
                                 error_message = 'The task was cancelled by its owner.', lease_owner = NULL, lease_until = NULL
                 WHERE id = $id AND account_id = $account AND status IN ('queued', 'processing')
                RETURNING {Columns};
                """;
            update.Parameters.AddWithValue("$id", id);
            update.Parameters.AddWithValue("$account", accountId);
            update.Parameters.AddWithValue("$now", Ms(now));
            if (ReadOne(update) is { } cancelled)
            {
                return ((VideoTask?)cancelled, true, Ledger.Release(connection, id, "cancelled", now));
            }

            using var select = connection.CreateCommand();
            select.CommandText = $"SELECT {Columns} FROM tasks WHERE id = $id AND account_id = $account;";
            select.Parameters.AddWithValue("$id", id);
            select.Parameters.AddWithValue("$account", accountId);
            return (ReadOne(select), false, (HoldClosed?)null);
        }, ct);

    public Task<bool> DeleteFinishedAsync(string id, string accountId, CancellationToken ct)
        => Changed("""
            DELETE FROM tasks WHERE id = $id AND account_id = $account AND status IN ('completed', 'failed', 'cancelled');
            """, ct, ("$id", id), ("$account", accountId));

    public Task<int> RequeueLapsedAsync(DateTimeOffset now, CancellationToken ct) => db.WriteAsync(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE tasks SET status = 'queued', lease_owner = NULL, lease_until = NULL
             WHERE status = 'processing' AND lease_until < $now
               -- Remote tasks are never re-queued: a lapsed submit may have reached the upstream (the tracker
               -- reconciles it) and an accepted one is polled again, not resubmitted.
               AND NOT EXISTS (SELECT 1 FROM upstream_jobs j WHERE j.task_id = tasks.id);
            """;
        command.Parameters.AddWithValue("$now", Ms(now));
        return command.ExecuteNonQuery();
    }, ct);

    public Task<IReadOnlyList<string>> ExpiredContentAsync(DateTimeOffset now, int limit, CancellationToken ct) => db.ReadAsync(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT id FROM tasks
             WHERE status = 'completed' AND content_deleted_at IS NULL AND expires_at <= $now
             ORDER BY expires_at LIMIT $limit;
            """;
        command.Parameters.AddWithValue("$now", Ms(now));
        command.Parameters.AddWithValue("$limit", limit);
        using var reader = command.ExecuteReader();
        var ids = new List<string>();
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }

        return (IReadOnlyList<string>)ids;
    }, ct);

    public Task MarkContentDeletedAsync(string id, DateTimeOffset now, CancellationToken ct)
        => Changed("UPDATE tasks SET content_deleted_at = $now WHERE id = $id AND content_deleted_at IS NULL;", ct, ("$id", id), ("$now", Ms(now)));

    public Task<IReadOnlyList<TaskCount>> CountAsync(CancellationToken ct) => db.ReadAsync(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT status, provider, COUNT(*) FROM tasks GROUP BY status, provider;";
        using var reader = command.ExecuteReader();
        var counts = new List<TaskCount>();
        while (reader.Read())
        {
            counts.Add(new TaskCount(Enum.Parse<VideoStatus>(reader.GetString(0), ignoreCase: true), reader.GetString(1), reader.GetInt64(2)));
        }

        return (IReadOnlyList<TaskCount>)counts;
    }, ct);

    public Task<bool> PingAsync(CancellationToken ct) => db.ReadAsync(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1;";
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 1;
    }, ct);

    /// <summary>One conditional statement; true when it changed a row.</summary>
    private Task<bool> Changed(string sql, CancellationToken ct, params (string Name, object? Value)[] parameters)
        => db.WriteAsync(connection =>
        {
            using var command = Command(connection, sql, parameters);
            return command.ExecuteNonQuery() > 0;
        }, ct);

    /// <summary>
    /// A terminal transition: one conditional statement returning the task's provider; when it changed the row,
    /// <paramref name="close"/> settles or releases the hold in the same write. Counted once committed.
    /// </summary>
    private async Task<bool> EndAsync(
        VideoStatus status, Func<SqliteConnection, HoldClosed?> close, string sql, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        var (provider, _) = await db.WriteAsync(connection =>
        {
            using var command = Command(connection, sql, parameters);
            return command.ExecuteScalar() is string changed ? (changed, close(connection)) : ((string?)null, (HoldClosed?)null);
        }, ct);
        return provider is not null;
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    private static long Ms(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    private static DateTimeOffset? Time(SqliteDataReader reader, int ordinal)
        => reader.IsDBNull(ordinal) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));

    private static string? Text(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static VideoTask? ReadOne(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        return reader.Read() ? Map(reader) : null;
    }

    private static List<VideoTask> ReadAll(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var tasks = new List<VideoTask>();
        while (reader.Read())
        {
            tasks.Add(Map(reader));
        }

        return tasks;
    }

    private static VideoTask Map(SqliteDataReader r) => new()
    {
        Id = r.GetString(0),
        AccountId = r.GetString(1),
        KeyId = r.GetString(2),
        Dialect = Enum.Parse<Dialect>(r.GetString(3)),
        Model = r.GetString(4),
        Prompt = r.GetString(5),
        Seconds = r.GetInt32(6),
        Width = r.GetInt32(7),
        Height = r.GetInt32(8),
        AspectRatio = r.GetString(9),
        Resolution = r.GetString(10),
        InputKeys = JsonSerializer.Deserialize(r.GetString(11), StoreJson.Default.IReadOnlyListString) ?? [],
        Provider = r.GetString(12),
        Status = Enum.Parse<VideoStatus>(r.GetString(13), ignoreCase: true),
        Progress = r.GetInt32(14),
        Attempts = r.GetInt32(15),
        UpstreamId = Text(r, 16),
        CreatedAt = Time(r, 17)!.Value,
        StartedAt = Time(r, 18),
        CompletedAt = Time(r, 19),
        ExpiresAt = Time(r, 20),
        ContentDeletedAt = Time(r, 21),
        ErrorCode = Text(r, 22),
        ErrorMessage = Text(r, 23),
        RemixedFromId = Text(r, 24),
    };
}

[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyList<string>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(string[]))]
internal sealed partial class StoreJson : System.Text.Json.Serialization.JsonSerializerContext;
