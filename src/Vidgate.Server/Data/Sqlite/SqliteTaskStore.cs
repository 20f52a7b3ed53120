using System.Text.Json;
using Microsoft.Data.Sqlite;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Data.Sqlite;

/// <summary>
/// <see cref="ITaskStore"/> on the embedded SQLite database. Every transition is one conditional statement; an insert and
/// every ending also run the <paramref name="participants"/>'s work (billing) in the same write. Nothing is counted here:
/// the caller that gets <c>true</c> from a transition counts it.
/// </summary>
internal sealed class SqliteTaskStore(SqliteDatabase db, IEnumerable<ITaskParticipant>? participants = null) : ITaskStore
{
    private readonly TaskParticipants? participant = TaskParticipants.Of(participants);

    /// <summary>Tasks read lately, each with the write generation it was read at (see <see cref="GetAsync"/>).</summary>
    private const int MaxRecent = 4096;

    /// <summary>How long a remembered read may answer at most: bounds what another process on the same file may change unseen.</summary>
    private const long MaxAgeMs = 250;

    private static readonly Task<VideoTask?> NoTask = Task.FromResult<VideoTask?>(null);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (long Generation, long ReadAtMs, Task<VideoTask?> Task)> _recent = new(StringComparer.Ordinal);

    private const string Columns = TaskRows.Columns;

    private const string InsertSql = """
        INSERT INTO tasks (id, account_id, key_id, dialect, model, prompt, seconds, width, height, aspect_ratio,
                           resolution, inputs, provider, status, progress, run_after, created_at, remixed_from_id, callback_url)
        VALUES ($id, $account, $key, $dialect, $model, $prompt, $seconds, $width, $height, $aspect,
                $resolution, $inputs, $provider, 'queued', 0, $created, $created, $remixed, $callback);
        """;

    public Task InsertAsync(VideoTask task, CancellationToken ct) => InsertAsync(task, null, ct);

    public Task<InsertOutcome> InsertAsync(VideoTask task, InsertTerms? terms, CancellationToken ct) => InsertWriteAsync(task, terms, ct);

    private Task<InsertOutcome> InsertWriteAsync(VideoTask task, InsertTerms? terms, CancellationToken ct)
    {
        // Terms nobody commits would be a create that holds no money: refuse it loudly rather than insert it.
        if (terms is not null && participant is null)
        {
            throw new InvalidOperationException($"An insert with {terms.GetType().Name} needs an {nameof(ITaskParticipant)}; none is registered.");
        }

        return db.WriteAsync(connection => InsertWrite(connection, task, terms), ct);
    }

    private InsertOutcome InsertWrite(SqliteConnection connection, VideoTask task, InsertTerms? terms)
    {
        if (terms is not null && participant!.BeforeInsertAsync(connection, task, terms, CancellationToken.None).Completed() is { } answer)
        {
            return answer;
        }

        Sql.Command(connection, InsertSql)
            .Bind("$id", task.Id)
            .Bind("$account", task.AccountId)
            .Bind("$key", task.KeyId)
            .Bind("$dialect", task.Dialect.ToString())
            .Bind("$model", task.Model)
            .Bind("$prompt", task.Prompt)
            .Bind("$seconds", task.Seconds)
            .Bind("$width", task.Width)
            .Bind("$height", task.Height)
            .Bind("$aspect", task.AspectRatio)
            .Bind("$resolution", task.Resolution)
            .Bind("$inputs", JsonSerializer.Serialize(task.InputKeys, StoreJson.Default.IReadOnlyListString))
            .Bind("$provider", task.Provider)
            .Bind("$created", Sql.Ms(task.CreatedAt))
            .Bind("$remixed", task.RemixedFromId)
                .Bind("$callback", task.CallbackUrl)
            .ExecuteNonQuery();
        if (terms is not null)
        {
            participant!.AfterInsertAsync(connection, task, terms, CancellationToken.None).Completed();
        }

        return new InsertOutcome.Created();
    }

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
            return Sql.Command(connection, GetSql).Bind("$id", id).Bind("$account", null).One(Map);
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

    // The filters are all optional parameters of one statement: NULL matches everything. The prompt is folded by
    // vg_fold (.NET's invariant lower case, registered on every connection) so non-ASCII letters fold too.
    private const string ListFilters = """
           AND ($status IS NULL OR status = $status) AND ($model IS NULL OR model = $model)
           AND ($q IS NULL OR instr(vg_fold(prompt), $q) > 0)
        """;

    private const string ListAscendingSql = $"""
        SELECT {Columns} FROM tasks
         WHERE account_id = $account AND ($after IS NULL OR id > $after)
        {ListFilters}
         ORDER BY id ASC LIMIT $limit;
        """;

    private const string ListDescendingSql = $"""
        SELECT {Columns} FROM tasks
         WHERE account_id = $account AND ($after IS NULL OR id < $after)
        {ListFilters}
         ORDER BY id DESC LIMIT $limit;
        """;

    public Task<IReadOnlyList<VideoTask>> ListAsync(string accountId, string? after, int limit, bool descending, CancellationToken ct)
        => ListAsync(accountId, after, limit, descending, TaskListFilter.None, ct);

    public Task<IReadOnlyList<VideoTask>> ListAsync(string accountId, string? after, int limit, bool descending, TaskListFilter filter, CancellationToken ct) => db.ReadAsync(connection =>
        (IReadOnlyList<VideoTask>)Sql.Command(connection, descending ? ListDescendingSql : ListAscendingSql)
            .Bind("$account", accountId).Bind("$after", after).Bind("$limit", limit)
            .Bind("$status", filter.Status?.Word()).Bind("$model", filter.Model)
            .Bind("$q", string.IsNullOrEmpty(filter.PromptContains) ? null : SqliteDatabase.Fold(filter.PromptContains)).All(Map), ct);

    // One claim, two lanes: a local provider claims its own tasks (IN), the remote lane every other task (NOT IN).
    private static readonly string ClaimInSql = ClaimSql.Replace("@match", "IN", StringComparison.Ordinal);
    private static readonly string ClaimNotInSql = ClaimSql.Replace("@match", "NOT IN", StringComparison.Ordinal);

    private const string ClaimSql = $"""
        UPDATE tasks
           SET status = 'processing', lease_owner = $owner, lease_until = $lease, attempts = attempts + 1,
               started_at = COALESCE(started_at, $now)
         WHERE id = (SELECT id FROM tasks
                      WHERE status = 'queued' AND run_after <= $now
                        AND provider @match (SELECT value FROM json_each($providers))
                      ORDER BY run_after, id LIMIT 1)
        RETURNING {Columns};
        """;

    public Task<VideoTask?> TryClaimAsync(IReadOnlyCollection<string> providers, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken ct)
        => ClaimAsync(ClaimInSql, providers, owner, now, leaseUntil, ct);

    public Task<VideoTask?> TryClaimExceptAsync(IReadOnlyCollection<string> except, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken ct)
        => ClaimAsync(ClaimNotInSql, except, owner, now, leaseUntil, ct);

    private Task<VideoTask?> ClaimAsync(string sql, IReadOnlyCollection<string> providers, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken ct)
        => db.WriteAsync(connection => Sql.Command(connection, sql)
            .Bind("$owner", owner).Bind("$lease", Sql.Ms(leaseUntil)).Bind("$now", Sql.Ms(now))
            .Bind("$providers", JsonSerializer.Serialize(providers.ToArray(), StoreJson.Default.StringArray))
            .One(Map), ct);

    /// <summary>
    /// Extends the lease and raises the progress; when the progress went up, the participant's
    /// <see cref="ITaskParticipant.Progressed"/> runs in the same write. The progress before is read in that write
    /// (the single writer makes read-then-update one step).
    /// </summary>
    public Task<bool> HeartbeatAsync(string id, string owner, DateTimeOffset leaseUntil, int progress, CancellationToken ct) => db.WriteAsync(connection =>
    {
        var to = Math.Clamp(progress, 0, 99);
        var before = participant is null ? null : ProgressOf(connection, id);
        if (!Sql.Command(connection, """
            UPDATE tasks SET lease_until = $lease, progress = MAX(progress, $progress)
             WHERE id = $id AND lease_owner = $owner AND status = 'processing';
            """).Bind("$id", id).Bind("$owner", owner).Bind("$lease", Sql.Ms(leaseUntil)).Bind("$progress", to).Changed())
        {
            return false;
        }

        if (before is { } from && from < to)
        {
            participant!.ProgressedAsync(connection, id, from, to, CancellationToken.None).Completed();
        }

        return true;
    }, ct);

    /// <summary>A task's progress, in a write that is about to raise it (null: no such task).</summary>
    internal static int? ProgressOf(SqliteConnection connection, string id)
        => Sql.Command(connection, "SELECT progress FROM tasks WHERE id = $id;").Bind("$id", id).All(r => r.GetInt32(0)) is [var progress] ? progress : null;

    public Task<bool> CompleteAsync(string id, string owner, DateTimeOffset now, DateTimeOffset? expiresAt, CancellationToken ct)
        => CompleteAsync(id, owner, now, expiresAt, null, ct);

    public Task<bool> CompleteAsync(string id, string owner, DateTimeOffset now, DateTimeOffset? expiresAt, int? actualSeconds, CancellationToken ct)
        => EndAsync(id, TaskEnding.Completed(actualSeconds), now, connection => Sql.Command(connection, """
            UPDATE tasks SET status = 'completed', progress = 100, completed_at = $now, expires_at = $expires,
                             lease_owner = NULL, lease_until = NULL
             WHERE id = $id AND lease_owner = $owner AND status = 'processing'
            RETURNING provider;
            """).Bind("$id", id).Bind("$owner", owner).Bind("$now", Sql.Ms(now)).Bind("$expires", Sql.Ms(expiresAt)), ct);

    public Task<bool> FailAsync(string id, string owner, string code, string message, DateTimeOffset now, CancellationToken ct)
        => EndAsync(id, TaskEnding.Failed, now, connection => Sql.Command(connection, """
            UPDATE tasks SET status = 'failed', completed_at = $now, error_code = $code, error_message = $message,
                             lease_owner = NULL, lease_until = NULL
             WHERE id = $id AND lease_owner = $owner AND status = 'processing'
            RETURNING provider;
            """).Bind("$id", id).Bind("$owner", owner).Bind("$now", Sql.Ms(now)).Bind("$code", code).Bind("$message", message), ct);

    public Task<bool> ReleaseAsync(string id, string owner, CancellationToken ct) => db.WriteAsync(connection => Sql.Command(connection, """
            UPDATE tasks SET status = 'queued', lease_owner = NULL, lease_until = NULL
             WHERE id = $id AND lease_owner = $owner AND status = 'processing';
            """).Bind("$id", id).Bind("$owner", owner).Changed(), ct);

    public async Task<(VideoTask? Task, bool Changed)> CancelAsync(string id, string accountId, DateTimeOffset now, CancellationToken ct)
    {
        var (task, changed, _) = await CancelWriteAsync(id, accountId, now, ct);
        return (task, changed);
    }

    private const string CancelSql = $"""
        UPDATE tasks SET status = 'cancelled', completed_at = $now, error_code = 'cancelled',
                         error_message = 'The task was cancelled by its owner.', lease_owner = NULL, lease_until = NULL
         WHERE id = $id AND account_id = $account AND status IN ('queued', 'processing')
        RETURNING {Columns};
        """;

    private Task<(VideoTask? Task, bool Changed, HoldClosed? Hold)> CancelWriteAsync(string id, string accountId, DateTimeOffset now, CancellationToken ct)
        => db.WriteAsync(connection =>
        {
            if (Sql.Command(connection, CancelSql).Bind("$id", id).Bind("$account", accountId).Bind("$now", Sql.Ms(now)).One(Map) is { } cancelled)
            {
                return ((VideoTask?)cancelled, true, participant?.EndedAsync(connection, id, TaskEnding.Cancelled, now, CancellationToken.None).Completed());
            }

            return (Sql.Command(connection, GetSql).Bind("$id", id).Bind("$account", accountId).One(Map), false, (HoldClosed?)null);
        }, ct);

    public Task<bool> DeleteFinishedAsync(string id, string accountId, CancellationToken ct) => db.WriteAsync(connection => Sql.Command(connection, """
            DELETE FROM tasks WHERE id = $id AND account_id = $account AND status IN ('completed', 'failed', 'cancelled');
            """).Bind("$id", id).Bind("$account", accountId).Changed(), ct);

    public Task<int> RequeueLapsedAsync(DateTimeOffset now, CancellationToken ct) => db.WriteAsync(connection => Sql.Command(connection, """
            UPDATE tasks SET status = 'queued', lease_owner = NULL, lease_until = NULL
             WHERE status = 'processing' AND lease_until < $now
               -- Remote tasks are never re-queued: a lapsed submit may have reached the upstream (the tracker
               -- reconciles it) and an accepted one is polled again, not resubmitted.
               AND NOT EXISTS (SELECT 1 FROM upstream_jobs j WHERE j.task_id = tasks.id);
            """).Bind("$now", Sql.Ms(now)).ExecuteNonQuery(), ct);

    public Task<IReadOnlyList<string>> ExpiredContentAsync(DateTimeOffset now, int limit, CancellationToken ct) => db.ReadAsync(connection =>
        (IReadOnlyList<string>)Sql.Command(connection, """
            SELECT id FROM tasks
             WHERE status = 'completed' AND content_deleted_at IS NULL AND expires_at <= $now
             ORDER BY expires_at LIMIT $limit;
            """).Bind("$now", Sql.Ms(now)).Bind("$limit", limit).All(static r => r.GetString(0)), ct);

    public Task MarkContentDeletedAsync(string id, DateTimeOffset now, CancellationToken ct) => db.WriteAsync(connection =>
        Sql.Command(connection, "UPDATE tasks SET content_deleted_at = $now WHERE id = $id AND content_deleted_at IS NULL;")
            .Bind("$id", id).Bind("$now", Sql.Ms(now)).Changed(), ct);

    // Unfinished tasks only, through the partial index tasks_active (migration 0011): the read costs what the queue holds,
    // not what the table has ever held.
    private const string QueueFrom = """
          FROM tasks t LEFT JOIN upstream_jobs j ON j.task_id = t.id
         WHERE t.status IN ('queued', 'processing')
        """;

    public Task<QueueSnapshot> QueueAsync(int oldest, CancellationToken ct) => db.ReadAsync(connection =>
    {
        // Three reads, not one snapshot: a page that redraws every few seconds may show a task that moved in between.
        var counts = Sql.Command(connection, $"""
                SELECT state, provider, COUNT(*) FROM (SELECT {QueueStates.Sql} AS state, COALESCE(j.provider_id, t.provider) AS provider {QueueFrom})
                 GROUP BY state, provider ORDER BY state, provider;
                """)
            .All(static r => new QueueCount(r.GetString(0), r.GetString(1), r.GetInt64(2)));
        var waiting = Sql.Command(connection, "SELECT MIN(created_at) FROM tasks WHERE status = 'queued';").ExecuteScalar() is long ms
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : (DateTimeOffset?)null;
        var list = Sql.Command(connection, $"""
                SELECT t.id, t.account_id, t.model, COALESCE(j.provider_id, t.provider), {QueueStates.Sql}, t.progress, t.created_at
                {QueueFrom}
                 ORDER BY t.id LIMIT $limit;
                """)
            .Bind("$limit", oldest)
            .All(static r => new QueuedTask(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetInt32(5), r.Time(6)));
        return new QueueSnapshot(counts, waiting, list);
    }, ct);

    public Task<IReadOnlyList<TaskCount>> CountAsync(CancellationToken ct) => db.ReadAsync(connection =>
        (IReadOnlyList<TaskCount>)Sql.Command(connection, "SELECT status, provider, COUNT(*) FROM tasks GROUP BY status, provider;")
            .All(static r => new TaskCount(Enum.Parse<VideoStatus>(r.GetString(0), ignoreCase: true), r.GetString(1), r.GetInt64(2))), ct);

    public Task<bool> PingAsync(CancellationToken ct) => db.ReadAsync(connection => Sql.Command(connection, "SELECT 1;").Scalar() == 1, ct);

    /// <summary>
    /// A terminal transition: one conditional statement returning the task's provider; when it changed the row, the
    /// participant's <see cref="ITaskParticipant.Ended"/> runs in the same write.
    /// </summary>
    private Task<bool> EndAsync(string id, TaskEnding ending, DateTimeOffset now, Func<SqliteConnection, SqliteCommand> transition, CancellationToken ct)
        => db.WriteAsync(connection =>
        {
            if (transition(connection).ExecuteScalar() is not string)
            {
                return false;
            }

            participant?.EndedAsync(connection, id, ending, now, CancellationToken.None).Completed();
            return true;
        }, ct);

    private static VideoTask Map(SqliteDataReader r) => TaskRows.Map(r);
}
