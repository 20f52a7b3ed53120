using Npgsql;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Data.Postgres;

/// <summary>
/// <see cref="IUpstreamJobStore"/> on PostgreSQL: each change one conditional statement (two at most, in one
/// transaction). Due polls are claimed with <c>FOR UPDATE SKIP LOCKED</c>, so tracker nodes share the due jobs instead of
/// queueing behind each other. An upstream's reported cost also goes to the <paramref name="participants"/> (billing),
/// in the same transaction.
/// </summary>
internal sealed class PostgresUpstreamJobStore(PostgresDatabase db, IEnumerable<ITaskParticipant>? participants = null) : IUpstreamJobStore
{
    private readonly TaskParticipants? participant = TaskParticipants.Of(participants);

    /// <summary>Poll results written in one transaction at most (two statements on arrays of this length).</summary>
    private const int MaxPollGroup = 512;

    private readonly Lock _pollGate = new();
    private List<PendingPoll> _polls = [];
    private bool _writingPolls;

    private PgGroupCommit<DoneLease, bool>? _leases;

    private const string Columns = "task_id, provider_id, key_index, phase, upstream_id, state, submitted_at, accepted_at, deadline_at, polls, last_progress";

    private const string TryLeaseSql = """
        UPDATE tasks SET lease_owner = @owner, lease_until = @lease
         WHERE id = @id AND status = 'processing' AND (lease_owner IS NULL OR lease_until < @now OR lease_owner = @owner);
        """;

    private const string Leased = "EXISTS (SELECT 1 FROM tasks WHERE id = @id AND lease_owner = @owner AND status = 'processing')";

    public Task<bool> AnyQueuedAsync(IReadOnlyCollection<string> except, DateTimeOffset now, CancellationToken ct) => db.ReadAsync(async connection =>
        await Pg.Command(connection, "SELECT 1 FROM tasks WHERE status = 'queued' AND run_after <= @now AND provider <> ALL (@except) LIMIT 1;")
            .Bind("now", Pg.Ms(now)).Bind("except", except.ToArray()).ScalarAsync(ct) is not null, ct);

    public Task<bool> BeginSubmitAsync(string taskId, string owner, string providerId, int keyIndex, DateTimeOffset now, DateTimeOffset deadline, CancellationToken ct)
        => db.WriteAsync(connection => Pg.Command(connection, $"""
            INSERT INTO upstream_jobs (task_id, provider_id, key_index, phase, submitted_at, deadline_at, next_poll_at)
            SELECT @id, @provider, @key, 'submitting', @now, @deadline, @deadline WHERE {Leased}
            ON CONFLICT (task_id) DO UPDATE SET provider_id = excluded.provider_id, key_index = excluded.key_index, submitted_at = excluded.submitted_at
             WHERE upstream_jobs.phase = 'submitting';
            """).Bind("id", taskId).Bind("owner", owner).Bind("provider", providerId).Bind("key", keyIndex)
            .Bind("now", Pg.Ms(now)).Bind("deadline", Pg.Ms(deadline)).ChangedAsync(ct), ct);

    public Task<bool> AcceptedAsync(string taskId, string owner, string upstreamId, string? state, DateTimeOffset now, DateTimeOffset firstPoll, Delivered? delivered, CancellationToken ct)
        => db.WriteAsync(async connection =>
        {
            var changed = await Pg.Command(connection, $"""
                UPDATE upstream_jobs SET phase = 'tracking', upstream_id = @upstream, state = @state, accepted_at = @now, next_poll_at = @next
                 WHERE task_id = @id AND phase = 'submitting' AND {Leased};
                """).Bind("id", taskId).Bind("owner", owner).Bind("upstream", upstreamId).Bind("state", state)
                .Bind("now", Pg.Ms(now)).Bind("next", Pg.Ms(firstPoll)).ChangedAsync(ct);
            if (!changed)
            {
                return false;
            }

            await Pg.Command(connection, """
                UPDATE tasks SET upstream_id = @upstream, lease_owner = NULL, lease_until = NULL,
                                 seconds = COALESCE(@seconds, seconds), width = COALESCE(@width, width), height = COALESCE(@height, height),
                                 aspect_ratio = COALESCE(@aspect, aspect_ratio), resolution = COALESCE(@resolution, resolution)
                 WHERE id = @id AND lease_owner = @owner;
                """).Bind("id", taskId).Bind("owner", owner).Bind("upstream", upstreamId)
                .Bind("seconds", delivered?.Seconds).Bind("width", delivered?.Width).Bind("height", delivered?.Height)
                .Bind("aspect", delivered?.AspectRatio).Bind("resolution", delivered?.Resolution).RowsAsync(ct);
            return true;
        }, ct);

    public Task<bool> DeferAsync(string taskId, string owner, DateTimeOffset runAfter, CancellationToken ct) => db.WriteAsync(async connection =>
    {
        await Pg.Command(connection, $"DELETE FROM upstream_jobs WHERE task_id = @id AND phase = 'submitting' AND {Leased};")
            .Bind("id", taskId).Bind("owner", owner).RowsAsync(ct);
        return await Pg.Command(connection, """
            UPDATE tasks SET status = 'queued', lease_owner = NULL, lease_until = NULL, run_after = @after
             WHERE id = @id AND lease_owner = @owner AND status = 'processing';
            """).Bind("id", taskId).Bind("owner", owner).Bind("after", Pg.Ms(runAfter)).ChangedAsync(ct);
    }, ct);

    // The poll lease is next_poll_at pushed forward; SKIP LOCKED lets another node's concurrent claim take other jobs.
    // upstream_jobs alone (a job is "tracking" only while its task is processing: migration 0009), along the due index;
    // the outer update finds the claimed rows by primary key through an array, so no plan can nest a table scan.
    public Task<IReadOnlyList<UpstreamJobRow>> ClaimDueAsync(DateTimeOffset now, DateTimeOffset leaseUntil, int limit, CancellationToken ct) => db.WriteAsync(async connection =>
        (IReadOnlyList<UpstreamJobRow>)await Pg.Command(connection, $"""
            UPDATE upstream_jobs SET next_poll_at = @lease, polls = polls + 1
             WHERE task_id = ANY(ARRAY(SELECT task_id FROM upstream_jobs
                                        WHERE phase = 'tracking' AND next_poll_at <= @now
                                        ORDER BY next_poll_at LIMIT @limit
                                        FOR UPDATE SKIP LOCKED))
            RETURNING {Columns};
            """).Bind("now", Pg.Ms(now)).Bind("lease", Pg.Ms(leaseUntil)).Bind("limit", limit).AllAsync(Map, ct), ct);

    // The claim's own condition: the first entry of the due index (an ended task's job is no longer "tracking", so it
    // never wakes the tracker: migration 0009).
    private const string NextDueSql = "SELECT next_poll_at FROM upstream_jobs WHERE phase = 'tracking' ORDER BY next_poll_at LIMIT 1;";

    public Task<DateTimeOffset?> NextDueAsync(CancellationToken ct) => db.ReadAsync(async connection =>
        await Pg.Command(connection, NextDueSql).ScalarAsync(ct) is long ms
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : (DateTimeOffset?)null, ct);

    /// <summary>
    /// Poll results are written in groups: every call waits for the commit that holds its row, but the calls that arrive
    /// while one group is being written go together in the next (one transaction, two statements, one WAL flush), as
    /// PostgreSQL's own group commit would if each had its own transaction. At 10,000 jobs in flight a node records
    /// hundreds of polls a second; one transaction each was that many commits and pooled connections, taken from the
    /// creates and endings that share the database (and, across two nodes, the two cores).
    /// </summary>
    public async Task RecordPollAsync(string taskId, DateTimeOffset nextPollAt, int? progress, CancellationToken ct)
    {
        var poll = new PendingPoll(taskId, Pg.Ms(nextPollAt), progress ?? 0);
        bool lead;
        lock (_pollGate)
        {
            _polls.Add(poll);
            lead = !_writingPolls;
            _writingPolls = true;
        }

        if (lead)
        {
            _ = Task.Run(WritePollGroupsAsync, CancellationToken.None);
        }

        await poll.Written.Task.WaitAsync(ct);
    }

    private sealed record PendingPoll(string TaskId, long NextPollAt, int Progress)
    {
        public TaskCompletionSource Written { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    // Runs until no poll is waiting; never throws (a failed group fails exactly its own callers).
    private async Task WritePollGroupsAsync()
    {
        while (true)
        {
            List<PendingPoll> group;
            lock (_pollGate)
            {
                if (_polls.Count == 0)
                {
                    _writingPolls = false;
                    return;
                }

                group = _polls.Count <= MaxPollGroup ? _polls : _polls.GetRange(0, MaxPollGroup);
                _polls = _polls.Count <= MaxPollGroup ? [] : _polls.GetRange(MaxPollGroup, _polls.Count - MaxPollGroup);
            }

            try
            {
                await db.WriteAsync(connection => WritePollGroupAsync(connection, group, CancellationToken.None), CancellationToken.None);
                group.ForEach(p => p.Written.TrySetResult());
            }
            catch (Exception ex)
            {
                group.ForEach(p => p.Written.TrySetException(ex));
            }
        }
    }

    private async Task<bool> WritePollGroupAsync(NpgsqlConnection connection, List<PendingPoll> group, CancellationToken ct)
    {
        // The latest call for a task wins, as separate writes in call order would (the progress never goes down anyway).
        var polls = group.GroupBy(p => p.TaskId, StringComparer.Ordinal).Select(g => g.Last()).ToArray();
        await Pg.Command(connection, """
            UPDATE upstream_jobs j SET next_poll_at = p.next, last_progress = GREATEST(j.last_progress, p.progress)
              FROM unnest(@ids::text[], @next::bigint[], @progress::integer[]) AS p(task_id, next, progress)
             WHERE j.task_id = p.task_id;
            """).Bind("ids", polls.Select(p => p.TaskId).ToArray()).Bind("next", polls.Select(p => p.NextPollAt).ToArray())
            .Bind("progress", polls.Select(p => p.Progress).ToArray()).RowsAsync(ct);

        var progressed = polls.Where(p => p.Progress > 0).ToArray();
        if (progressed.Length == 0)
        {
            return true;
        }

        // Rows locked in id order, so two nodes' groups (or a group and a heartbeat) never lock them in opposite orders; the
        // subquery's lock makes the progress returned as before the one this update replaced.
        var raised = await Pg.Command(connection, """
            UPDATE tasks t SET progress = GREATEST(t.progress, p.progress)
              FROM (SELECT id, progress FROM tasks WHERE id = ANY(@ids) AND status = 'processing' ORDER BY id FOR UPDATE) previous,
                   unnest(@ids::text[], @progress::integer[]) AS p(id, progress)
             WHERE t.id = previous.id AND p.id = previous.id
            RETURNING t.id, previous.progress, p.progress;
            """).Bind("ids", progressed.Select(p => p.TaskId).ToArray()).Bind("progress", progressed.Select(p => Math.Clamp(p.Progress, 0, 99)).ToArray())
            .AllAsync(static r => (Id: r.GetString(0), From: r.GetInt32(1), To: r.GetInt32(2)), ct);
        if (participant is not null)
        {
            foreach (var (id, from, to) in raised.Where(r => r.From < r.To))
            {
                await participant.ProgressedAsync(connection, id, from, to, ct);
            }
        }

        return true;
    }

    public Task<bool> TryLeaseAsync(string taskId, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken ct)
        => db.WriteAsync(connection => TryLeaseAsync(connection, taskId, owner, now, leaseUntil, ct), ct);

    /// <summary>
    /// Leases of jobs the upstream reported done are written in groups (<see cref="PgGroupCommit{TItem, TResult}"/>, as
    /// creates are): the leases that arrive while one group commits go together in the next transaction, and each caller
    /// is answered once its group committed. A lease records the upstream's cost on the hold, and the usage rollup's
    /// trigger then takes a shard row of the account's day that every create batch and ending group of the account also
    /// takes: one transaction per lease made dozens of pollers queue on those rows during a burst of creates
    /// (docs/benchmarks.md, "Finishes before submits"). A group takes each shard once. One lease per task in a group (a
    /// second one of the same task meets the first's committed row next time); a group that fails as a whole is written
    /// again lease by lease.
    /// </summary>
    public Task<bool> TryLeaseDoneAsync(string taskId, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, long? costUsdTicks, CancellationToken ct)
    {
        var leases = Volatile.Read(ref _leases) ?? Interlocked.CompareExchange(ref _leases, NewLeaseGroups(), null) ?? _leases;
        return leases.WriteAsync(new DoneLease(taskId, owner, Pg.Ms(now), Pg.Ms(leaseUntil), costUsdTicks is >= 0 ? costUsdTicks : null)).WaitAsync(ct);
    }

    private sealed record DoneLease(string TaskId, string Owner, long Now, long LeaseUntil, long? CostUsdTicks);

    private PgGroupCommit<DoneLease, bool> NewLeaseGroups() => new(
        async group =>
        {
            var leased = await db.WriteAsync(connection => LeaseGroupAsync(connection, group, CancellationToken.None), CancellationToken.None);
            return [.. group.Select(l => leased.Contains(l.TaskId))];
        },
        async one => (await db.WriteAsync(connection => LeaseGroupAsync(connection, [one], CancellationToken.None), CancellationToken.None)).Contains(one.TaskId),
        static lease => lease.TaskId);

    // Each lease conditional on its own owner and time, as TryLeaseSql; task rows locked in id order, as the ending and
    // poll groups lock them, so two of these never wait for each other in a cycle.
    private const string LeaseGroupSql = """
        UPDATE tasks t SET lease_owner = l.owner, lease_until = l.lease
          FROM (SELECT id FROM tasks WHERE id = ANY(@ids) ORDER BY id FOR UPDATE) locked,
               unnest(@ids::text[], @owners::text[], @nows::bigint[], @leases::bigint[]) AS l(id, owner, now, lease)
         WHERE t.id = locked.id AND l.id = t.id AND t.status = 'processing'
           AND (t.lease_owner IS NULL OR t.lease_until < l.now OR t.lease_owner = l.owner)
        RETURNING t.id;
        """;

    private async Task<HashSet<string>> LeaseGroupAsync(NpgsqlConnection connection, IReadOnlyList<DoneLease> group, CancellationToken ct)
    {
        var leased = (await Pg.Command(connection, LeaseGroupSql)
                .Bind("ids", group.Select(l => l.TaskId).ToArray()).Bind("owners", group.Select(l => l.Owner).ToArray())
                .Bind("nows", group.Select(l => l.Now).ToArray()).Bind("leases", group.Select(l => l.LeaseUntil).ToArray())
                .AllAsync(static r => r.GetString(0), ct))
            .ToHashSet(StringComparer.Ordinal);

        // The upstream billed us for these whatever happens next: recorded with the lease, as one statement each.
        ReportedCost[] costs = [.. group.Where(l => l.CostUsdTicks is not null && leased.Contains(l.TaskId))
            .Select(l => new ReportedCost(l.TaskId, l.CostUsdTicks!.Value)).OrderBy(c => c.TaskId, StringComparer.Ordinal)];
        if (costs.Length > 0)
        {
            await Pg.Command(connection, """
                UPDATE upstream_jobs j SET cost_usd_ticks = c.ticks
                  FROM unnest(@ids::text[], @ticks::bigint[]) AS c(id, ticks)
                 WHERE j.task_id = c.id;
                """).Bind("ids", costs.Select(c => c.TaskId).ToArray()).Bind("ticks", costs.Select(c => c.CostUsdTicks).ToArray()).RowsAsync(ct);
            if (participant is not null)
            {
                await participant.CostsReportedAsync(connection, costs, ct);
            }
        }

        return leased;
    }

    private static Task<bool> TryLeaseAsync(NpgsqlConnection connection, string taskId, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken ct)
        => Pg.Command(connection, TryLeaseSql).Bind("id", taskId).Bind("owner", owner).Bind("now", Pg.Ms(now)).Bind("lease", Pg.Ms(leaseUntil)).ChangedAsync(ct);

    public Task ReleaseToTrackingAsync(string taskId, string owner, DateTimeOffset nextPollAt, CancellationToken ct) => db.WriteAsync(async connection =>
    {
        await Pg.Command(connection, "UPDATE upstream_jobs SET next_poll_at = @next WHERE task_id = @id;").Bind("id", taskId).Bind("next", Pg.Ms(nextPollAt)).RowsAsync(ct);
        return await Pg.Command(connection, "UPDATE tasks SET lease_owner = NULL, lease_until = NULL WHERE id = @id AND lease_owner = @owner AND status = 'processing';")
            .Bind("id", taskId).Bind("owner", owner).ChangedAsync(ct);
    }, ct);

    private const string StrandedSql = """
        SELECT j.task_id, j.provider_id, j.key_index, j.phase, j.upstream_id, j.state, j.submitted_at, j.accepted_at, j.deadline_at,
               j.polls, j.last_progress
          FROM upstream_jobs j JOIN tasks t ON t.id = j.task_id
         WHERE j.phase = 'submitting' AND t.status = 'processing' AND (t.lease_until IS NULL OR t.lease_until < @now)
         LIMIT @limit;
        """;

    public Task<IReadOnlyList<UpstreamJobRow>> StrandedSubmitsAsync(DateTimeOffset now, int limit, CancellationToken ct) => db.ReadAsync(async connection =>
        (IReadOnlyList<UpstreamJobRow>)await Pg.Command(connection, StrandedSql).Bind("now", Pg.Ms(now)).Bind("limit", limit).AllAsync(Map, ct), ct);

    public Task<UpstreamJobRow?> GetAsync(string taskId, CancellationToken ct) => db.ReadAsync(connection =>
        Pg.Command(connection, $"SELECT {Columns} FROM upstream_jobs WHERE task_id = @id;").Bind("id", taskId).OneAsync(Map, ct), ct);

    public Task MarkFinishedAsync(string taskId, CancellationToken ct) => db.WriteAsync(connection =>
        Pg.Command(connection, "UPDATE upstream_jobs SET phase = 'finished' WHERE task_id = @id AND phase <> 'finished';").Bind("id", taskId).ChangedAsync(ct), ct);

    public Task<int> PurgeFinishedAsync(CancellationToken ct) => db.WriteAsync(async connection => await Pg.Command(connection, """
        DELETE FROM upstream_jobs WHERE NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = upstream_jobs.task_id);
        """).RowsAsync(ct) + await Pg.Command(connection, """
        UPDATE upstream_jobs SET phase = 'finished'
         WHERE phase <> 'finished' AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = upstream_jobs.task_id AND t.status IN ('processing', 'queued'));
        """).RowsAsync(ct), ct);

    public Task<IReadOnlyDictionary<string, int>> InFlightAsync(CancellationToken ct) => db.ReadAsync(async connection =>
        (IReadOnlyDictionary<string, int>)(await Pg.Command(connection, """
            SELECT j.provider_id, COUNT(*)::integer FROM upstream_jobs j JOIN tasks t ON t.id = j.task_id WHERE t.status = 'processing' GROUP BY j.provider_id;
            """).AllAsync(static r => (Provider: r.GetString(0), Count: r.GetInt32(1)), ct)).ToDictionary(p => p.Provider, p => p.Count, StringComparer.Ordinal), ct);

    public Task<bool> SetCallbackAsync(string taskId, string owner, string tokenHash, CancellationToken ct) => db.WriteAsync(connection =>
        Pg.Command(connection, $"UPDATE upstream_jobs SET callback_hash = @hash WHERE task_id = @id AND phase = 'submitting' AND {Leased};")
            .Bind("id", taskId).Bind("owner", owner).Bind("hash", tokenHash).ChangedAsync(ct), ct);

    public Task<CallbackWake> WakeAsync(string providerId, string tokenHash, DateTimeOffset now, CancellationToken ct) => db.WriteAsync(async connection =>
    {
        if (await Pg.Command(connection, WakeSql).Bind("provider", providerId).Bind("hash", tokenHash).Bind("now", Pg.Ms(now)).ChangedAsync(ct))
        {
            // The tracker that polls it may run on another node: wake them all (delivered on commit).
            await Pg.Command(connection, PostgresWakeUps.NotifyTrackSql).RowsAsync(ct);
            return CallbackWake.Woken;
        }

        return await Pg.Command(connection, "SELECT 1 FROM upstream_jobs WHERE callback_hash = @hash AND provider_id = @provider;")
            .Bind("provider", providerId).Bind("hash", tokenHash).ScalarAsync(ct) is null ? CallbackWake.Unknown : CallbackWake.Idle;
    }, ct);

    // A task leased for a terminal step (the finisher downloading it) is left alone: a poll now could take it twice.
    private const string WakeSql = """
        UPDATE upstream_jobs SET next_poll_at = LEAST(next_poll_at, @now)
         WHERE callback_hash = @hash AND provider_id = @provider AND phase = 'tracking'
           AND EXISTS (SELECT 1 FROM tasks t WHERE t.id = upstream_jobs.task_id AND t.status = 'processing'
                        AND (t.lease_owner IS NULL OR t.lease_until < @now));
        """;

    private static UpstreamJobRow Map(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetString(3), r.TextOrNull(4), r.TextOrNull(5),
        r.Time(6), r.TimeOrNull(7), r.Time(8), r.GetInt32(9), r.GetInt32(10));
}
