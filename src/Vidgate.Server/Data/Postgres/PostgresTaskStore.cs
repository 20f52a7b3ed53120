using System.Text.Json;
using Npgsql;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Data.Postgres;

/// <summary>
/// <see cref="ITaskStore"/> on PostgreSQL, shared by every node. The same statements as on SQLite, with what several
/// writers need: a claim locks the row it takes with <c>FOR UPDATE SKIP LOCKED</c> (two nodes never take the same task,
/// and neither waits for the other), and every later transition is conditional on the lease owner or the previous
/// status. A read by id may be answered from this node's <see cref="PostgresTaskCache"/>, which the change hints of every
/// node keep correct (and which answers nothing while they are not heard); every other read is a query. Each write here
/// forgets the task it changed once it is done, so this node reads its own writes. Nothing is counted here: the caller
/// that gets <c>true</c> from a transition counts it.
/// </summary>
internal sealed class PostgresTaskStore(PostgresDatabase db, IEnumerable<ITaskParticipant>? participants = null, PostgresTaskCache? cache = null) : ITaskStore
{
    private readonly TaskParticipants? participant = TaskParticipants.Of(participants);

    // Without a cache of the node's (store-level tests, tools) one that is never told the hints are heard: it answers nothing.
    private readonly PostgresTaskCache _cache = cache ?? new PostgresTaskCache(TimeProvider.System);

    private static readonly Task<VideoTask?> NoTask = Task.FromResult<VideoTask?>(null);

    private PgGroupCommit<(VideoTask Task, InsertTerms Terms), InsertOutcome>? _creates;

    private readonly PostgresTaskEndings _endings = new(db, TaskParticipants.Of(participants));

    private const string Columns = TaskRows.Columns;

    private const string InsertSql = """
        INSERT INTO tasks (id, account_id, key_id, dialect, model, prompt, seconds, width, height, aspect_ratio,
                           resolution, inputs, provider, status, progress, run_after, created_at, remixed_from_id, callback_url)
        VALUES (@id, @account, @key, @dialect, @model, @prompt, @seconds, @width, @height, @aspect,
                @resolution, @inputs, @provider, 'queued', 0, @created, @created, @remixed, @callback);
        """;

    public Task InsertAsync(VideoTask task, CancellationToken ct) => InsertAsync(task, null, ct);

    /// <summary>
    /// A create with terms (a paying request) joins this node's group commit (<see cref="InsertManyAsync"/>); it is
    /// answered once its batch committed. The request's <paramref name="ct"/> is not passed on: the batch is other
    /// requests' too, and a create that was written is answered as written.
    /// </summary>
    public Task<InsertOutcome> InsertAsync(VideoTask task, InsertTerms? terms, CancellationToken ct)
    {
        // Terms nobody commits would be a create that holds no money: refuse it loudly rather than insert it.
        if (terms is not null && participant is null)
        {
            throw new InvalidOperationException($"An insert with {terms.GetType().Name} needs an {nameof(ITaskParticipant)}; none is registered.");
        }

        if (terms is null)
        {
            return InsertOneAsync(task, null, ct);
        }

        ct.ThrowIfCancellationRequested();
        var creates = Volatile.Read(ref _creates) ?? Interlocked.CompareExchange(ref _creates, NewGroupCommit(), null) ?? _creates;
        return creates.WriteAsync((task, terms));
    }

    private PgGroupCommit<(VideoTask Task, InsertTerms Terms), InsertOutcome> NewGroupCommit() => new(
        InsertManyAsync, one => InsertOneAsync(one.Task, one.Terms, CancellationToken.None), static one => one.Terms.SerialKey);

    private const string LockAccountsSql = "SELECT 1 FROM accounts WHERE id = ANY(@ids) ORDER BY id FOR UPDATE;";

    private const string InsertManySql = """
        INSERT INTO tasks (id, account_id, key_id, dialect, model, prompt, seconds, width, height, aspect_ratio,
                           resolution, inputs, provider, status, progress, run_after, created_at, remixed_from_id, callback_url)
        SELECT id, account, key, dialect, model, prompt, seconds, width, height, aspect,
               resolution, inputs, provider, 'queued', 0, created, created, remixed, callback
          FROM unnest(@id::text[], @account::text[], @key::text[], @dialect::text[], @model::text[], @prompt::text[],
                      @seconds::integer[], @width::integer[], @height::integer[], @aspect::text[], @resolution::text[],
                      @inputs::text[], @provider::text[], @created::bigint[], @remixed::text[], @callback::text[])
               AS t(id, account, key, dialect, model, prompt, seconds, width, height, aspect, resolution, inputs, provider,
                    created, remixed, callback);
        """;

    /// <summary>
    /// One batch of creates in one transaction. Usually (no <c>Idempotency-Key</c> in it) that is ONE round trip: an
    /// <see cref="NpgsqlBatch"/> of BEGIN, the participant's statements for all of them, written as if every create were
    /// let through (billing: the accounts' rows locked in id order, each moved once by its creates' sum, raising if one
    /// does not cover them all; the holds), the task rows, one wake-up hint per provider, and COMMIT. If the batch fails
    /// (someone was refused, or a row was) it is rolled back and written the careful way
    /// (<see cref="InsertManyCarefullyAsync"/>), where each create gets the answer it would have got alone.
    /// </summary>
    private async Task<InsertOutcome[]> InsertManyAsync(IReadOnlyList<(VideoTask Task, InsertTerms Terms)> inserts)
    {
        await using var batch = new NpgsqlBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN;"));
        if (inserts.All(static i => i.Terms.SerialKey is null) && participant!.AddInsertManyCommands(batch, inserts))
        {
            AddTaskRows(batch, [.. inserts.Select(static i => i.Task)]);
            batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT;"));
            await using var connection = await db.OpenAsync(CancellationToken.None);
            batch.Connection = connection;
            try
            {
                await batch.ExecuteNonQueryAsync(CancellationToken.None);
                return [.. inserts.Select(static _ => (InsertOutcome)new InsertOutcome.Created())];
            }
            catch (PostgresException)
            {
                // The statements after the error were skipped and the transaction is aborted: end it before the
                // connection goes back to the pool. Someone was refused, or a row was (it then fails alone, carefully).
                await Pg.Command(connection, "ROLLBACK;").RowsAsync(CancellationToken.None);
            }
        }

        return await InsertManyCarefullyAsync(inserts);
    }

    /// <summary>
    /// One batch of creates in one transaction: the accounts' rows locked once each (in id order, so two nodes' batches
    /// never deadlock), the participant's work for all of them (billing: idempotency keys, then the holds checked in
    /// order and summed per account), the rows of the creates it let through in one statement with one wake-up hint per
    /// provider, then each one's after-insert work. Every create gets the answer it would have got alone.
    /// </summary>
    private Task<InsertOutcome[]> InsertManyCarefullyAsync(IReadOnlyList<(VideoTask Task, InsertTerms Terms)> inserts) => db.WriteAsync(async connection =>
    {
        var ct = CancellationToken.None;
        // A batch with no serial keys skips this round trip: the participant's first statement (billing: the holds) reads
        // the same rows FOR UPDATE in the same order. With keys it is kept, so the accounts are always locked before any
        // key's advisory lock, the order a single create and a task's ending take them in (no lock-order deadlock).
        if (inserts.Any(static i => i.Terms.SerialKey is not null))
        {
            var accounts = inserts.Select(i => i.Task.AccountId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
            await Pg.Command(connection, LockAccountsSql).Bind("ids", accounts).RowsAsync(ct);
        }

        var answers = await participant!.BeforeInsertManyAsync(connection, inserts, ct);
        var created = inserts.Where((_, i) => answers[i] is null).ToArray();
        if (created.Length > 0)
        {
            await using (var batch = new NpgsqlBatch(connection))
            {
                AddTaskRows(batch, [.. created.Select(static c => c.Task)]);
                await batch.ExecuteNonQueryAsync(ct);
            }

            foreach (var (task, terms) in created)
            {
                await participant.AfterInsertAsync(connection, task, terms, ct);
            }
        }

        return answers.Select(a => a ?? new InsertOutcome.Created()).ToArray();
    }, CancellationToken.None);

    /// <summary>The task rows in one statement, and one wake-up hint per provider (sent on commit only).</summary>
    private static void AddTaskRows(NpgsqlBatch batch, VideoTask[] tasks)
    {
        batch.BatchCommands.Add(new NpgsqlBatchCommand(InsertManySql)
        {
            Parameters =
            {
                new("id", tasks.Select(t => t.Id).ToArray()),
                new("account", tasks.Select(t => t.AccountId).ToArray()),
                new("key", tasks.Select(t => t.KeyId).ToArray()),
                new("dialect", tasks.Select(t => t.Dialect.ToString()).ToArray()),
                new("model", tasks.Select(t => t.Model).ToArray()),
                new("prompt", tasks.Select(t => t.Prompt).ToArray()),
                new("seconds", tasks.Select(t => t.Seconds).ToArray()),
                new("width", tasks.Select(t => t.Width).ToArray()),
                new("height", tasks.Select(t => t.Height).ToArray()),
                new("aspect", tasks.Select(t => t.AspectRatio).ToArray()),
                new("resolution", tasks.Select(t => t.Resolution).ToArray()),
                new("inputs", tasks.Select(t => JsonSerializer.Serialize(t.InputKeys, StoreJson.Default.IReadOnlyListString)).ToArray()),
                new("provider", tasks.Select(t => t.Provider).ToArray()),
                new("created", tasks.Select(t => Pg.Ms(t.CreatedAt)).ToArray()),
                new("remixed", tasks.Select(t => t.RemixedFromId).ToArray()),
                new("callback", tasks.Select(t => t.CallbackUrl).ToArray()),
            },
        });
        foreach (var provider in tasks.Select(t => t.Provider).Distinct(StringComparer.Ordinal))
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(PostgresWakeUps.NotifySql) { Parameters = { new("provider", provider) } });
        }
    }

    /// <summary>One create in a transaction of its own: inserts without terms, and a batch's creates again when it failed whole.</summary>
    private Task<InsertOutcome> InsertOneAsync(VideoTask task, InsertTerms? terms, CancellationToken ct)
    {
        return db.WriteAsync(async connection =>
        {
            if (terms is not null)
            {
                await LockAccountAsync(connection, task.AccountId, ct);
            }

            if (terms is not null && await participant!.BeforeInsertAsync(connection, task, terms, ct) is { } answer)
            {
                return answer;
            }

            await Pg.Command(connection, InsertSql)
                .Bind("id", task.Id)
                .Bind("account", task.AccountId)
                .Bind("key", task.KeyId)
                .Bind("dialect", task.Dialect.ToString())
                .Bind("model", task.Model)
                .Bind("prompt", task.Prompt)
                .Bind("seconds", task.Seconds)
                .Bind("width", task.Width)
                .Bind("height", task.Height)
                .Bind("aspect", task.AspectRatio)
                .Bind("resolution", task.Resolution)
                .Bind("inputs", JsonSerializer.Serialize(task.InputKeys, StoreJson.Default.IReadOnlyListString))
                .Bind("provider", task.Provider)
                .Bind("created", Pg.Ms(task.CreatedAt))
                .Bind("remixed", task.RemixedFromId)
                .Bind("callback", task.CallbackUrl)
                .RowsAsync(ct);
            if (terms is not null)
            {
                await participant!.AfterInsertAsync(connection, task, terms, ct);
            }

            // Sent on commit only: other nodes' idle workers wake at once (PostgresWakeUps), a hint and nothing more.
            await Pg.Command(connection, PostgresWakeUps.NotifySql).Bind("provider", task.Provider).RowsAsync(ct);

            return (InsertOutcome)new InsertOutcome.Created();
        }, ct);
    }

    private const string GetSql = $"SELECT {Columns} FROM tasks WHERE id = @id AND (@account::text IS NULL OR account_id = @account::text);";

    /// <summary>The poll path: from this node's cache when it has the task (see <see cref="PostgresTaskCache"/>), else one query.</summary>
    public Task<VideoTask?> GetAsync(string id, string? accountId, CancellationToken ct)
    {
        if (_cache.Find(id) is { } hit)
        {
            return accountId is null || hit.Result!.AccountId == accountId ? hit : NoTask;
        }

        return ReadAndRememberAsync(id, accountId, ct);
    }

    private async Task<VideoTask?> ReadAndRememberAsync(string id, string? accountId, CancellationToken ct)
    {
        // Taken before the query: a change announced while it runs makes this answer single-use.
        var stamp = _cache.Begin(id);
        var task = await db.ReadAsync(connection => Pg.Command(connection, GetSql).Bind("id", id).Bind("account", null).OneAsync(Map, ct), ct);
        if (task is null)
        {
            return null;
        }

        _cache.Remember(id, stamp, task);
        return accountId is null || task.AccountId == accountId ? task : null;
    }

    // The filters are all optional parameters of one statement: NULL matches everything. strpos, not LIKE: the search
    // text is matched literally (a % or _ in it means itself).
    private const string ListFilters = """
           AND (@status::text IS NULL OR status = @status::text) AND (@model::text IS NULL OR model = @model::text)
           AND (@q::text IS NULL OR strpos(lower(prompt), lower(@q::text)) > 0)
        """;

    private const string ListAscendingSql = $"""
        SELECT {Columns} FROM tasks
         WHERE account_id = @account AND (@after::text IS NULL OR id > @after::text)
        {ListFilters}
         ORDER BY id ASC LIMIT @limit;
        """;

    private const string ListDescendingSql = $"""
        SELECT {Columns} FROM tasks
         WHERE account_id = @account AND (@after::text IS NULL OR id < @after::text)
        {ListFilters}
         ORDER BY id DESC LIMIT @limit;
        """;

    public Task<IReadOnlyList<VideoTask>> ListAsync(string accountId, string? after, int limit, bool descending, CancellationToken ct)
        => ListAsync(accountId, after, limit, descending, TaskListFilter.None, ct);

    public Task<IReadOnlyList<VideoTask>> ListAsync(string accountId, string? after, int limit, bool descending, TaskListFilter filter, CancellationToken ct) => db.ReadAsync(async connection =>
        (IReadOnlyList<VideoTask>)await Pg.Command(connection, descending ? ListDescendingSql : ListAscendingSql)
            .Bind("account", accountId).Bind("after", after).Bind("limit", limit)
            .Bind("status", filter.Status?.Word()).Bind("model", filter.Model)
            .Bind("q", string.IsNullOrEmpty(filter.PromptContains) ? null : filter.PromptContains).AllAsync(Map, ct), ct);

    // One claim, two lanes: a local provider claims its own tasks (= ANY), the remote lane every other task (<> ALL).
    private static readonly string ClaimInSql = ClaimSql.Replace("@match", "= ANY", StringComparison.Ordinal);
    private static readonly string ClaimNotInSql = ClaimSql.Replace("@match", "<> ALL", StringComparison.Ordinal);

    // SKIP LOCKED: a row another node is claiming right now is passed over, not waited for.
    private const string ClaimSql = $"""
        UPDATE tasks
           SET status = 'processing', lease_owner = @owner, lease_until = @lease, attempts = attempts + 1,
               started_at = COALESCE(started_at, @now)
         WHERE id IN (SELECT id FROM tasks
                       WHERE status = 'queued' AND run_after <= @now AND provider @match (@providers)
                       ORDER BY run_after, id LIMIT 1
                       FOR UPDATE SKIP LOCKED)
        RETURNING {Columns};
        """;

    public Task<VideoTask?> TryClaimAsync(IReadOnlyCollection<string> providers, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken ct)
        => ClaimAsync(ClaimInSql, providers, owner, now, leaseUntil, ct);

    public Task<VideoTask?> TryClaimExceptAsync(IReadOnlyCollection<string> except, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken ct)
        => ClaimAsync(ClaimNotInSql, except, owner, now, leaseUntil, ct);

    private async Task<VideoTask?> ClaimAsync(string sql, IReadOnlyCollection<string> providers, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken ct)
    {
        var claimed = await db.WriteAsync(connection => Pg.Command(connection, sql)
            .Bind("owner", owner).Bind("lease", Pg.Ms(leaseUntil)).Bind("now", Pg.Ms(now)).Bind("providers", providers.ToArray())
            .OneAsync(Map, ct), ct);
        if (claimed is not null)
        {
            _cache.Forget(claimed.Id);
        }

        return claimed;
    }

    /// <summary>
    /// Extends the lease and raises the progress; when the progress went up, the participant's
    /// <see cref="ITaskParticipant.Progressed"/> runs in the same transaction.
    /// </summary>
    public Task<bool> HeartbeatAsync(string id, string owner, DateTimeOffset leaseUntil, int progress, CancellationToken ct) => Forgetting(id, db.WriteAsync(async connection =>
    {
        var to = Math.Clamp(progress, 0, 99);
        // Both sides by primary key (t.id = @id, not t.id = previous.id): joined on the subquery, a plan cached while the
        // table was small walked every processing task through the lease index (bench pg-tracking, auto_explain).
        var from = await Pg.Command(connection, """
            UPDATE tasks t SET lease_until = @lease, progress = GREATEST(t.progress, @progress)
              FROM (SELECT progress FROM tasks WHERE id = @id FOR UPDATE) previous
             WHERE t.id = @id AND t.lease_owner = @owner AND t.status = 'processing'
            RETURNING previous.progress;
            """).Bind("id", id).Bind("owner", owner).Bind("lease", Pg.Ms(leaseUntil)).Bind("progress", to).ScalarAsync(ct);
        if (from is not int before)
        {
            return false;
        }

        if (participant is not null && before < to)
        {
            await participant.ProgressedAsync(connection, id, before, to, ct);
        }

        return true;
    }, ct));

    public Task<bool> CompleteAsync(string id, string owner, DateTimeOffset now, DateTimeOffset? expiresAt, CancellationToken ct)
        => CompleteAsync(id, owner, now, expiresAt, null, ct);

    public Task<bool> CompleteAsync(string id, string owner, DateTimeOffset now, DateTimeOffset? expiresAt, int? actualSeconds, CancellationToken ct)
        => EndAsync(new PendingEnding(id, owner, TaskEnding.Completed(actualSeconds), now, expiresAt, null, null), ct);

    public Task<bool> FailAsync(string id, string owner, string code, string message, DateTimeOffset now, CancellationToken ct)
        => EndAsync(new PendingEnding(id, owner, TaskEnding.Failed, now, null, code, message), ct);

    public Task<bool> ReleaseAsync(string id, string owner, CancellationToken ct) => Forgetting(id, db.WriteAsync(connection => Pg.Command(connection, """
            UPDATE tasks SET status = 'queued', lease_owner = NULL, lease_until = NULL
             WHERE id = @id AND lease_owner = @owner AND status = 'processing';
            """).Bind("id", id).Bind("owner", owner).ChangedAsync(ct), ct));

    private const string CancelSql = $"""
        UPDATE tasks SET status = 'cancelled', completed_at = @now, error_code = 'cancelled',
                         error_message = 'The task was cancelled by its owner.', lease_owner = NULL, lease_until = NULL
         WHERE id = @id AND account_id = @account AND status IN ('queued', 'processing')
        RETURNING {Columns};
        """;

    public Task<(VideoTask? Task, bool Changed)> CancelAsync(string id, string accountId, DateTimeOffset now, CancellationToken ct)
    {
        return Forgetting(id, db.WriteAsync(async connection =>
        {
            if (await Pg.Command(connection, CancelSql).Bind("id", id).Bind("account", accountId).Bind("now", Pg.Ms(now)).OneAsync(Map, ct) is { } cancelled)
            {
                // The participant takes the account row itself, last (see EndManyAsync).
                if (participant is not null)
                {
                    await participant.EndedAsync(connection, id, TaskEnding.Cancelled, now, ct);
                }

                return ((VideoTask?)cancelled, true);
            }

            return (await Pg.Command(connection, GetSql).Bind("id", id).Bind("account", accountId).OneAsync(Map, ct), false);
        }, ct));
    }

    public Task<bool> DeleteFinishedAsync(string id, string accountId, CancellationToken ct) => Forgetting(id, db.WriteAsync(connection => Pg.Command(connection, """
            DELETE FROM tasks WHERE id = @id AND account_id = @account AND status IN ('completed', 'failed', 'cancelled');
            """).Bind("id", id).Bind("account", accountId).ChangedAsync(ct), ct));

    public async Task<int> RequeueLapsedAsync(DateTimeOffset now, CancellationToken ct)
    {
        var requeued = await RequeueLapsedWriteAsync(now, ct);
        if (requeued > 0)
        {
            // The statement does not say which tasks it re-queued.
            _cache.ForgetAll();
        }

        return requeued;
    }

    private Task<int> RequeueLapsedWriteAsync(DateTimeOffset now, CancellationToken ct) => db.WriteAsync(connection => Pg.Command(connection, """
            UPDATE tasks SET status = 'queued', lease_owner = NULL, lease_until = NULL
             WHERE status = 'processing' AND lease_until < @now
               -- Remote tasks are never re-queued: a lapsed submit may have reached the upstream (the tracker
               -- reconciles it) and an accepted one is polled again, not resubmitted.
               AND NOT EXISTS (SELECT 1 FROM upstream_jobs j WHERE j.task_id = tasks.id);
            """).Bind("now", Pg.Ms(now)).RowsAsync(ct), ct);

    public Task<IReadOnlyList<string>> ExpiredContentAsync(DateTimeOffset now, int limit, CancellationToken ct) => db.ReadAsync(async connection =>
        (IReadOnlyList<string>)await Pg.Command(connection, """
            SELECT id FROM tasks
             WHERE status = 'completed' AND content_deleted_at IS NULL AND expires_at <= @now
             ORDER BY expires_at LIMIT @limit;
            """).Bind("now", Pg.Ms(now)).Bind("limit", limit).AllAsync(static r => r.GetString(0), ct), ct);

    public Task MarkContentDeletedAsync(string id, DateTimeOffset now, CancellationToken ct) => Forgetting(id, db.WriteAsync(connection =>
        Pg.Command(connection, "UPDATE tasks SET content_deleted_at = @now WHERE id = @id AND content_deleted_at IS NULL;")
            .Bind("id", id).Bind("now", Pg.Ms(now)).ChangedAsync(ct), ct));

    // Unfinished tasks only, through the partial index tasks_active (migration 0006): the read costs what the queue holds,
    // not what the table has ever held.
    private const string QueueFrom = """
          FROM tasks t LEFT JOIN upstream_jobs j ON j.task_id = t.id
         WHERE t.status IN ('queued', 'processing')
        """;

    public Task<QueueSnapshot> QueueAsync(int oldest, CancellationToken ct) => db.ReadAsync(async connection =>
    {
        // Three reads, not one snapshot: a page that redraws every few seconds may show a task that moved in between.
        var counts = await Pg.Command(connection, $"""
                SELECT state, provider, COUNT(*) FROM (SELECT {QueueStates.Sql} AS state, COALESCE(j.provider_id, t.provider) AS provider {QueueFrom}) q
                 GROUP BY state, provider ORDER BY state, provider;
                """)
            .AllAsync(static r => new QueueCount(r.GetString(0), r.GetString(1), r.GetInt64(2)), ct);
        var waiting = await Pg.Command(connection, "SELECT MIN(created_at) FROM tasks WHERE status = 'queued';").ScalarAsync(ct) is long ms
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : (DateTimeOffset?)null;
        var list = await Pg.Command(connection, $"""
                SELECT t.id, t.account_id, t.model, COALESCE(j.provider_id, t.provider), {QueueStates.Sql}, t.progress, t.created_at
                {QueueFrom}
                 ORDER BY t.id LIMIT @limit;
                """)
            .Bind("limit", oldest)
            .AllAsync(static r => new QueuedTask(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetInt32(5), r.Time(6)), ct);
        return new QueueSnapshot(counts, waiting, list);
    }, ct);

    public Task<IReadOnlyList<TaskCount>> CountAsync(CancellationToken ct) => db.ReadAsync(async connection =>
        (IReadOnlyList<TaskCount>)await Pg.Command(connection, "SELECT status, provider, COUNT(*) FROM tasks GROUP BY status, provider;")
            .AllAsync(static r => new TaskCount(Enum.Parse<VideoStatus>(r.GetString(0), ignoreCase: true), r.GetString(1), r.GetInt64(2)), ct), ct);

    public async Task<bool> PingAsync(CancellationToken ct)
    {
        try
        {
            return await db.ReadAsync(async connection => await Pg.Command(connection, "SELECT 1;").ScalarAsync(ct) is 1, ct);
        }
        catch (NpgsqlException)
        {
            // Not ready: the database is unreachable (readyz says so instead of failing).
            return false;
        }
    }

    /// <summary>
    /// A terminal transition of a leased task, written with the other endings this node has waiting (see
    /// <see cref="PostgresTaskEndings"/>); answered once its group committed. As with a create, the caller's
    /// <paramref name="ct"/> only stops it before it is queued: an ending that was written is answered as written.
    /// </summary>
    private Task<bool> EndAsync(PendingEnding ending, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Forgetting(ending.Id, _endings.EndAsync(ending));
    }

    /// <summary>
    /// Forgets <paramref name="id"/> once <paramref name="write"/> is done, also when it failed (it may have committed
    /// before the connection broke): the next read on this node queries the row.
    /// </summary>
    private async Task<T> Forgetting<T>(string id, Task<T> write)
    {
        try
        {
            return await write;
        }
        finally
        {
            _cache.Forget(id);
        }
    }

    // A create's money work takes the account row's lock; it is taken here first, before the new task's rows. (Endings
    // take it last instead, after the ended task's row: PostgresTaskEndings. No write locks an existing task row after
    // its account's, so the two orders never meet in a cycle.) History: when the
    // participant seam was synchronous, threads blocked in it starved the pool until the lock's holder had no thread left
    // to commit on (./vidgate bench pg: 0 creates answered in 10 s at 32 connections); the seam is now awaited end to end.
    private const string LockAccountSql = "SELECT 1 FROM accounts WHERE id = @account FOR UPDATE;";

    private static Task LockAccountAsync(NpgsqlConnection connection, string accountId, CancellationToken ct)
        => Pg.Command(connection, LockAccountSql).Bind("account", accountId).ScalarAsync(ct);

    private static VideoTask Map(NpgsqlDataReader r) => TaskRows.Map(r);
}
