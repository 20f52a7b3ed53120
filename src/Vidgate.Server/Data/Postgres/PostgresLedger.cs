using System.Data.Common;
using Npgsql;
using Vidgate.Server.Billing;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Data.Postgres;

/// <summary>
/// <see cref="ILedger"/> on PostgreSQL, on the connection of the caller's write (its transaction). Every statement is
/// awaited: these run while the write holds the account row's lock, and a pool thread blocked here could be the one the
/// lock's holder needs to finish (under load, creates and endings then waited tens of seconds on the row).
/// <para>
/// Why money is as safe here as behind SQLite's single writer: the hold is one conditional UPDATE of the account row,
/// which PostgreSQL evaluates again on the newest committed row after waiting for a concurrent writer's lock, so two
/// nodes' creates can never both spend the same balance; closing a hold is a compare-and-swap on its state; every
/// statement that changes <c>balance</c> or writes a ledger row first locks the account row, so an account's writes
/// queue up on it. Idempotency keys are serialised by a transaction-scoped advisory lock on (account, key): a second
/// create with the same key waits for the first to commit, then finds its task.
/// </para>
/// </summary>
internal sealed class PostgresLedger : ILedger
{
    public async ValueTask<HoldRefusal?> HoldAsync(DbConnection connection, HoldRequest request, DateTimeOffset now, CancellationToken ct)
    {
        var pg = (NpgsqlConnection)connection;
        var amount = request.Amount;
        var taken = await Pg.Command(pg, """
            UPDATE accounts SET balance = balance - @x, held = held + @x, in_flight = in_flight + 1
             WHERE id = @a AND (unmetered OR balance >= @x) AND (@max::integer IS NULL OR in_flight < @max::integer);
            """).Bind("x", amount).Bind("a", request.AccountId).Bind("max", request.Plan.MaxInFlight).RowsAsync(ct) > 0;
        if (!taken)
        {
            return await RefusalAsync(pg, request, amount, ct);
        }

        await Pg.Command(pg, """
            INSERT INTO holds (task_id, account_id, key_id, model, resolution, seconds, images, per_second, per_image,
                               price_multiplier, amount, state, created_at)
            VALUES (@t, @a, @k, @m, @r, @s, @i, @ps, @pi, @mul, @x, 'held', @now);
            """)
            .Bind("t", request.TaskId).Bind("a", request.AccountId).Bind("k", request.KeyId).Bind("m", request.Model)
            .Bind("r", request.Resolution).Bind("s", request.Seconds).Bind("i", request.Images)
            .Bind("ps", request.Price.PerSecond).Bind("pi", request.Price.PerImage).Bind("mul", request.Plan.PriceMultiplier)
            .Bind("x", amount).Bind("now", Pg.Ms(now)).RowsAsync(ct);
        return null;
    }

    /// <summary>
    /// The holds of a batch of creates (<see cref="PostgresTaskStore"/>'s group commit) in three statements, whatever its
    /// size: the accounts' rows are read under their locks (in id order, as every batch takes them, so two nodes' batches
    /// never deadlock), each create is checked in order against what the ones before it left (exactly the conditions of
    /// <see cref="HoldAsync"/>), and then each account's row is updated once with the sum of its holds and the holds are
    /// inserted together.
    /// </summary>
    public async ValueTask<HoldRefusal?[]> HoldManyAsync(DbConnection connection, IReadOnlyList<(HoldRequest Request, DateTimeOffset Now)> requests, CancellationToken ct)
    {
        var pg = (NpgsqlConnection)connection;
        var ids = requests.Select(r => r.Request.AccountId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var accounts = (await Pg.Command(pg, "SELECT id, balance, in_flight, unmetered FROM accounts WHERE id = ANY(@ids) ORDER BY id FOR UPDATE;")
            .Bind("ids", ids)
            .AllAsync(static r => new Funds(r.GetString(0), r.GetInt64(1), r.GetInt32(2), r.GetBoolean(3)), ct))
            .ToDictionary(f => f.Id, StringComparer.Ordinal);

        var refusals = new HoldRefusal?[requests.Count];
        var taken = new List<(HoldRequest Request, DateTimeOffset Now)>(requests.Count);
        foreach (var (request, now, i) in requests.Select((r, i) => (r.Request, r.Now, i)))
        {
            if (!accounts.TryGetValue(request.AccountId, out var funds))
            {
                refusals[i] = new HoldRefusal.NoAccount();
                continue;
            }

            var amount = request.Amount;
            if (request.Plan.MaxInFlight is { } limit && funds.InFlight >= limit)
            {
                refusals[i] = new HoldRefusal.TooManyInFlight(limit);
            }
            else if (!funds.Unmetered && funds.Balance < amount)
            {
                refusals[i] = new HoldRefusal.Insufficient(amount, funds.Balance);
            }
            else
            {
                funds.Take(amount);
                taken.Add((request, now));
            }
        }

        if (taken.Count == 0)
        {
            return refusals;
        }

        var moved = accounts.Values.Where(f => f.Holds > 0).ToArray();
        await using var batch = new NpgsqlBatch(pg);
        batch.BatchCommands.Add(new NpgsqlBatchCommand(MoveSql)
        {
            Parameters =
            {
                new("ids", moved.Select(f => f.Id).ToArray()),
                new("xs", moved.Select(f => f.Held).ToArray()),
                new("ns", moved.Select(f => f.Holds).ToArray()),
                new("bounds", new int?[moved.Length]),
            },
        });
        batch.BatchCommands.Add(HoldRowsCommand(taken));
        await batch.ExecuteNonQueryAsync(ct);
        return refusals;
    }

    // Each account's row once, with the sums of its holds. `bounds` (null: none) is the in-flight count the row must be
    // below for all of an account's holds to pass; a row the guard turns down is left as it was.
    private const string MoveRowsSql = """
        UPDATE accounts a SET balance = a.balance - d.x, held = a.held + d.x, in_flight = a.in_flight + d.n
          FROM unnest(@ids::text[], @xs::bigint[], @ns::integer[], @bounds::integer[]) AS d(id, x, n, bound)
         WHERE a.id = d.id AND (a.unmetered OR a.balance >= d.x) AND (d.bound IS NULL OR a.in_flight < d.bound)
        """;

    private const string MoveSql = MoveRowsSql + ";";

    private const string InsertHoldsSql = """
        INSERT INTO holds (task_id, account_id, key_id, model, resolution, seconds, images, per_second, per_image,
                           price_multiplier, amount, state, created_at)
        SELECT t, a, k, m, r, s, i, ps, pi, mul, x, 'held', c
          FROM unnest(@t::text[], @a::text[], @k::text[], @m::text[], @r::integer[], @s::integer[], @i::integer[],
                      @ps::bigint[], @pi::bigint[], @mul::bigint[], @x::bigint[], @c::bigint[])
               AS h(t, a, k, m, r, s, i, ps, pi, mul, x, c);
        """;

    private static NpgsqlBatchCommand HoldRowsCommand(IReadOnlyList<(HoldRequest Request, DateTimeOffset Now)> taken) => new(InsertHoldsSql)
    {
        Parameters =
        {
            new("t", taken.Select(h => h.Request.TaskId).ToArray()),
            new("a", taken.Select(h => h.Request.AccountId).ToArray()),
            new("k", taken.Select(h => h.Request.KeyId).ToArray()),
            new("m", taken.Select(h => h.Request.Model).ToArray()),
            new("r", taken.Select(h => h.Request.Resolution).ToArray()),
            new("s", taken.Select(h => h.Request.Seconds).ToArray()),
            new("i", taken.Select(h => h.Request.Images).ToArray()),
            new("ps", taken.Select(h => h.Request.Price.PerSecond).ToArray()),
            new("pi", taken.Select(h => h.Request.Price.PerImage).ToArray()),
            new("mul", taken.Select(h => h.Request.Plan.PriceMultiplier).ToArray()),
            new("x", taken.Select(h => h.Request.Amount).ToArray()),
            new("c", taken.Select(h => Pg.Ms(h.Now)).ToArray()),
        },
    };

    /// <summary>
    /// A batch of holds as three statements of the store's round trip: the accounts' rows locked in id order (as every
    /// batch and ending takes them), each row moved once by the sum of its holds if it covers ALL of them (else the
    /// statement raises, SQLSTATE VG001, migration 0008), and the holds inserted. Taking them all is exactly what
    /// <see cref="HoldManyAsync"/> decides when the locked row's balance is at least the account's sum (the amounts are
    /// never negative, so every running balance is then enough too) and its in-flight count is below the bound of every
    /// hold: a hold with limit L that is an account's k-th in the batch passes iff in_flight + k - 1 &lt; L. If a row did not move (short of money or of in-flight room, or no such
    /// account) the batch fails and the caller rolls back and asks <see cref="HoldManyAsync"/>.
    /// </summary>
    public bool AddHoldManyCommands(DbBatch batch, IReadOnlyList<(HoldRequest Request, DateTimeOffset Now)> requests)
    {
        var pg = (NpgsqlBatch)batch;
        var sums = new SortedDictionary<string, (long Amount, int Count, int? Bound)>(StringComparer.Ordinal);
        foreach (var (request, _) in requests)
        {
            var (amount, count, bound) = sums.GetValueOrDefault(request.AccountId);
            if (request.Plan.MaxInFlight is { } limit)
            {
                bound = Math.Min(bound ?? int.MaxValue, limit - count);
            }

            sums[request.AccountId] = (amount + request.Amount, count + 1, bound);
        }

        var ids = sums.Keys.ToArray();
        pg.BatchCommands.Add(new NpgsqlBatchCommand(LockAccountsSql) { Parameters = { new("a", ids) } });
        pg.BatchCommands.Add(new NpgsqlBatchCommand(MoveAllSql)
        {
            Parameters =
            {
                new("ids", ids),
                new("xs", sums.Values.Select(s => s.Amount).ToArray()),
                new("ns", sums.Values.Select(s => s.Count).ToArray()),
                new("bounds", sums.Values.Select(s => s.Bound).ToArray()),
                new("n", ids.Length),
            },
        });
        pg.BatchCommands.Add(HoldRowsCommand(requests));
        return true;
    }

    // MoveSql, and the raise when it did not move every row it was given.
    private const string MoveAllSql = $"""
        WITH moved AS ({MoveRowsSql} RETURNING a.id)
        SELECT vidgate_require((SELECT COUNT(*) FROM moved) = @n, 'an account does not cover all of its holds in the batch');
        """;

    /// <summary>An account's row as a batch of holds sees it: what the holds before took is already subtracted.</summary>
    private sealed class Funds(string id, long balance, int inFlight, bool unmetered)
    {
        public string Id { get; } = id;

        public long Balance { get; private set; } = balance;

        public int InFlight { get; private set; } = inFlight;

        public bool Unmetered { get; } = unmetered;

        /// <summary>What this batch holds on the account, and how many holds.</summary>
        public long Held { get; private set; }

        public int Holds { get; private set; }

        public void Take(long amount)
        {
            Balance -= amount;
            InFlight++;
            Held += amount;
            Holds++;
        }
    }

    private static async Task<HoldRefusal> RefusalAsync(NpgsqlConnection connection, HoldRequest request, long amount, CancellationToken ct)
    {
        var row = await Pg.Command(connection, "SELECT balance, in_flight FROM accounts WHERE id = @a;").Bind("a", request.AccountId)
            .RowAsync(static r => (Balance: r.GetInt64(0), InFlight: r.GetInt32(1)), ct);
        if (row is not { } account)
        {
            return new HoldRefusal.NoAccount();
        }

        return request.Plan.MaxInFlight is { } limit && account.InFlight >= limit
            ? new HoldRefusal.TooManyInFlight(limit)
            : new HoldRefusal.Insufficient(amount, account.Balance);
    }

    public async ValueTask<HoldClosed?> SettleAsync(DbConnection connection, string taskId, int? actualSeconds, DateTimeOffset now, CancellationToken ct)
        => (await CloseManyAsync(connection, [new HoldClose(taskId, Settle: true, actualSeconds, "completed", now)], ct))[0];

    public async ValueTask<HoldClosed?> ReleaseAsync(DbConnection connection, string taskId, string outcome, DateTimeOffset now, CancellationToken ct)
        => (await CloseManyAsync(connection, [new HoldClose(taskId, Settle: false, null, outcome, now)], ct))[0];

    private const string OpenHoldsSql = """
        SELECT task_id, account_id, seconds, images, per_second, per_image, price_multiplier, amount
          FROM holds WHERE task_id = ANY(@t) AND state = 'held';
        """;

    // Each account row once, in id order, as every create batch and every group of endings takes them: two nodes' writes
    // never wait for each other in a cycle.
    private const string LockAccountsSql = "SELECT 1 FROM accounts WHERE id = ANY(@a) ORDER BY id FOR UPDATE;";

    // One statement closes every hold that is still open (the compare-and-swap: state = 'held'), moves each account's
    // money once with the sums of its closed holds, and writes a charge row per charged hold. Only what the first CTE
    // closed moves money, so a hold a racing write closed first is left alone here.
    private const string CloseSql = """
        WITH c AS (
            SELECT * FROM unnest(@t::text[], @state::text[], @outcome::text[], @s::integer[], @c::bigint[], @now::bigint[])
                     AS c(task_id, state, outcome, seconds, charge, now)),
        closed AS (
            UPDATE holds h SET state = c.state, outcome = c.outcome, actual_seconds = c.seconds, charged = c.charge, closed_at = c.now
              FROM c
             WHERE h.task_id = c.task_id AND h.state = 'held'
            RETURNING h.task_id, h.account_id, h.key_id, h.model, h.state, h.amount, h.charged, h.actual_seconds, h.closed_at),
        moved AS (
            UPDATE accounts a SET held = a.held - s.x, balance = a.balance + s.x - s.c, in_flight = a.in_flight - s.n
              FROM (SELECT account_id, SUM(amount)::bigint AS x, SUM(charged)::bigint AS c, COUNT(*)::integer AS n
                      FROM closed GROUP BY account_id) s
             WHERE a.id = s.account_id),
        entries AS (
            INSERT INTO ledger (account_id, kind, amount, task_id, reason, created_at)
            SELECT account_id, 'charge', -charged, task_id, NULL, closed_at FROM closed WHERE charged > 0 ORDER BY task_id)
        SELECT task_id, account_id, key_id, model, state, amount, charged, actual_seconds, closed_at FROM closed;
        """;

    /// <summary>
    /// Closes a group of holds with the account rows locked last and briefly: the open holds and their prices are read
    /// first, without a lock (a hold's terms never change once written; only its state does, and the close is
    /// conditional on it), the charges computed here, and then one round trip locks the accounts (id order) and closes
    /// the holds, moves the money and writes the ledger (<see cref="CloseSql"/>); the commit follows. Two round trips
    /// under the account lock (this batch and the commit) where there were four per task plus the outbox's.
    /// </summary>
    public async ValueTask<HoldClosed?[]> CloseManyAsync(DbConnection connection, IReadOnlyList<HoldClose> closes, CancellationToken ct)
    {
        var pg = (NpgsqlConnection)connection;
        var answers = new HoldClosed?[closes.Count];
        var open = (await Pg.Command(pg, OpenHoldsSql).Bind("t", closes.Select(c => c.TaskId).ToArray())
                .AllAsync(static r => new OpenHold(r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetInt32(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6), r.GetInt64(7)), ct))
            .ToDictionary(h => h.TaskId, StringComparer.Ordinal);
        var closing = closes.Where(c => open.ContainsKey(c.TaskId)).ToArray();
        if (closing.Length == 0)
        {
            return answers;
        }

        var terms = closing.Select(c => Terms(open[c.TaskId], c)).ToArray();
        await using var batch = new NpgsqlBatch(pg);
        batch.BatchCommands.Add(new NpgsqlBatchCommand(LockAccountsSql)
        {
            Parameters = { new("a", closing.Select(c => open[c.TaskId].AccountId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray()) },
        });
        batch.BatchCommands.Add(new NpgsqlBatchCommand(CloseSql)
        {
            Parameters =
            {
                new("t", closing.Select(c => c.TaskId).ToArray()),
                new("state", closing.Select(c => c.Settle ? "settled" : "released").ToArray()),
                new("outcome", closing.Select(c => c.Settle ? "completed" : c.Outcome).ToArray()),
                new("s", terms.Select(t => t.Seconds).ToArray()),
                new("c", terms.Select(t => t.Charge).ToArray()),
                new("now", closing.Select(c => Pg.Ms(c.Now)).ToArray()),
            },
        });

        var closed = new List<ClosedHold>(closing.Length);
        await using (var reader = await batch.ExecuteReaderAsync(ct))
        {
            // The first result is the accounts' lock (its rows say nothing); the second the holds this write closed.
            await reader.NextResultAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                closed.Add(new ClosedHold(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                    reader.GetInt64(5), reader.GetInt64(6), reader.GetInt32(7), reader.GetInt64(8)));
            }
        }

        // Every hold this group settled or released, with its account, key, model, amount and charge, is known here and
        // only here: work that must commit with the closes (a per-day usage rollup) is one call with `closed`, at this line.
        var byTask = closed.ToDictionary(h => h.TaskId, StringComparer.Ordinal);
        for (var i = 0; i < closes.Count; i++)
        {
            if (byTask.TryGetValue(closes[i].TaskId, out var hold))
            {
                answers[i] = new HoldClosed(hold.Charged, hold.Amount - hold.Charged);
            }
        }

        return answers;
    }

    /// <summary>The seconds recorded and the charge of a close: settled at most what was held, for what was delivered.</summary>
    private static (int Seconds, long Charge) Terms(OpenHold hold, HoldClose close)
    {
        if (!close.Settle)
        {
            return (0, 0);
        }

        var delivered = Math.Clamp(close.ActualSeconds ?? hold.Seconds, 0, hold.Seconds);
        return (delivered, Math.Min(hold.Amount, Money.Cost(hold.PerSecond, delivered, hold.PerImage, hold.Images, hold.Multiplier)));
    }

    private sealed record OpenHold(string TaskId, string AccountId, int Seconds, int Images, long PerSecond, long PerImage, long Multiplier, long Amount);

    /// <summary>A hold a group of endings closed, as the database wrote it (times in Unix ms).</summary>
    private sealed record ClosedHold(string TaskId, string AccountId, string KeyId, string Model, string State, long Amount, long Charged, int ActualSeconds, long ClosedAt);

    public async ValueTask RecordUpstreamCostAsync(DbConnection connection, string taskId, long costUsdTicks, CancellationToken ct)
        => await Pg.Command((NpgsqlConnection)connection, "UPDATE holds SET upstream_cost_usd_ticks = @ticks WHERE task_id = @id;")
            .Bind("id", taskId).Bind("ticks", costUsdTicks).RowsAsync(ct);

    /// <summary>
    /// One statement for a group of leases: the rollup trigger then fires once for the group (one upsert per shard
    /// touched), where one statement per hold fired it, and took a shard row, once each.
    /// </summary>
    public async ValueTask RecordUpstreamCostsAsync(DbConnection connection, IReadOnlyList<ReportedCost> costs, CancellationToken ct)
        => await Pg.Command((NpgsqlConnection)connection, """
            UPDATE holds h SET upstream_cost_usd_ticks = c.ticks
              FROM unnest(@ids::text[], @ticks::bigint[]) AS c(id, ticks)
             WHERE h.task_id = c.id;
            """).Bind("ids", costs.Select(c => c.TaskId).ToArray()).Bind("ticks", costs.Select(c => c.CostUsdTicks).ToArray()).RowsAsync(ct);

    public async ValueTask<Idempotency.Entry?> FindIdempotencyAsync(DbConnection connection, string accountId, string key, CancellationToken ct)
    {
        var pg = (NpgsqlConnection)connection;
        await Pg.Command(pg, "SELECT pg_advisory_xact_lock(hashtextextended(@a || chr(10) || @k, 0));").Bind("a", accountId).Bind("k", key).RowsAsync(ct);
        return await Pg.Command(pg, FindIdempotencySql).Bind("a", accountId).Bind("k", key).OneAsync(MapIdempotency, ct);
    }

    public const string FindIdempotencySql = "SELECT task_id, request_hash FROM idempotency_keys WHERE account_id = @a AND key = @k;";

    public static Idempotency.Entry MapIdempotency(NpgsqlDataReader r) => new(r.GetString(0), (byte[])r.GetValue(1));

    public async ValueTask RecordIdempotencyAsync(DbConnection connection, string accountId, IdempotencyClaim claim, string taskId, DateTimeOffset now, CancellationToken ct)
        => await Pg.Command((NpgsqlConnection)connection, """
            INSERT INTO idempotency_keys (account_id, key, request_hash, task_id, created_at) VALUES (@a, @k, @h, @t, @now);
            """).Bind("a", accountId).Bind("k", claim.Key).Bind("h", claim.RequestHash).Bind("t", taskId).Bind("now", Pg.Ms(now)).RowsAsync(ct);

    /// <summary>A top-up (<c>credit</c>, positive) or a signed correction (<c>adjust</c>). False if there is no such account.</summary>
    public static async Task<bool> CreditAsync(NpgsqlConnection connection, string accountId, string kind, long amount, string reason, DateTimeOffset now, CancellationToken ct)
    {
        if (!await Pg.Command(connection, "UPDATE accounts SET balance = balance + @x WHERE id = @a;").Bind("x", amount).Bind("a", accountId).ChangedAsync(ct))
        {
            return false;
        }

        await Pg.Command(connection, EntrySql).Bind("a", accountId).Bind("k", kind).Bind("x", amount).Bind("t", null).Bind("r", reason)
            .Bind("now", Pg.Ms(now)).RowsAsync(ct);
        return true;
    }

    private const string EntrySql = "INSERT INTO ledger (account_id, kind, amount, task_id, reason, created_at) VALUES (@a, @k, @x, @t, @r, @now);";

}
