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
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            UPDATE accounts a SET balance = a.balance - d.x, held = a.held + d.x, in_flight = a.in_flight + d.n
              FROM unnest(@ids::text[], @xs::bigint[], @ns::integer[]) AS d(id, x, n)
             WHERE a.id = d.id;
            """)
        {
            Parameters =
            {
                new("ids", moved.Select(f => f.Id).ToArray()),
                new("xs", moved.Select(f => f.Held).ToArray()),
                new("ns", moved.Select(f => f.Holds).ToArray()),
            },
        });
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            INSERT INTO holds (task_id, account_id, key_id, model, resolution, seconds, images, per_second, per_image,
                               price_multiplier, amount, state, created_at)
            SELECT t, a, k, m, r, s, i, ps, pi, mul, x, 'held', c
              FROM unnest(@t::text[], @a::text[], @k::text[], @m::text[], @r::integer[], @s::integer[], @i::integer[],
                          @ps::bigint[], @pi::bigint[], @mul::bigint[], @x::bigint[], @c::bigint[])
                   AS h(t, a, k, m, r, s, i, ps, pi, mul, x, c);
            """)
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
        });
        await batch.ExecuteNonQueryAsync(ct);
        return refusals;
    }

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
    {
        var pg = (NpgsqlConnection)connection;

        // FOR UPDATE: the hold stays as read until this transaction closes it (a racing close waits, then finds it closed).
        var hold = await Pg.Command(pg, """
            SELECT account_id, seconds, images, per_second, per_image, price_multiplier, amount
              FROM holds WHERE task_id = @t AND state = 'held' FOR UPDATE;
            """).Bind("t", taskId)
            .RowAsync(static r => (Account: r.GetString(0), Seconds: r.GetInt32(1), Images: r.GetInt32(2), PerSecond: r.GetInt64(3),
                PerImage: r.GetInt64(4), Multiplier: r.GetInt64(5), Amount: r.GetInt64(6)), ct);
        if (hold is not { } h)
        {
            return null;
        }

        var delivered = Math.Clamp(actualSeconds ?? h.Seconds, 0, h.Seconds);
        var charge = Math.Min(h.Amount, Money.Cost(h.PerSecond, delivered, h.PerImage, h.Images, h.Multiplier));
        return await CloseAsync(pg, taskId, h.Account, h.Amount, charge, "settled", "completed", delivered, now, ct);
    }

    public async ValueTask<HoldClosed?> ReleaseAsync(DbConnection connection, string taskId, string outcome, DateTimeOffset now, CancellationToken ct)
    {
        var pg = (NpgsqlConnection)connection;
        var hold = await Pg.Command(pg, "SELECT account_id, amount FROM holds WHERE task_id = @t AND state = 'held' FOR UPDATE;").Bind("t", taskId)
            .RowAsync(static r => (Account: r.GetString(0), Amount: r.GetInt64(1)), ct);
        return hold is { } h ? await CloseAsync(pg, taskId, h.Account, h.Amount, 0, "released", outcome, 0, now, ct) : null;
    }

    public async ValueTask RecordUpstreamCostAsync(DbConnection connection, string taskId, long costUsdTicks, CancellationToken ct)
        => await Pg.Command((NpgsqlConnection)connection, "UPDATE holds SET upstream_cost_usd_ticks = @ticks WHERE task_id = @id;")
            .Bind("id", taskId).Bind("ticks", costUsdTicks).RowsAsync(ct);

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

    private static async Task<HoldClosed?> CloseAsync(
        NpgsqlConnection connection, string taskId, string accountId, long amount, long charge, string state, string outcome, int seconds, DateTimeOffset now,
        CancellationToken ct)
    {
        var ms = Pg.Ms(now);

        // The compare-and-swap: only the first close of an open hold moves money.
        var closed = await Pg.Command(connection, """
            UPDATE holds SET state = @state, outcome = @outcome, actual_seconds = @s, charged = @c, closed_at = @now
             WHERE task_id = @t AND state = 'held';
            """).Bind("state", state).Bind("outcome", outcome).Bind("s", seconds).Bind("c", charge).Bind("now", ms)
            .Bind("t", taskId).RowsAsync(ct) > 0;
        if (!closed)
        {
            return null;
        }

        await Pg.Command(connection, "UPDATE accounts SET held = held - @x, balance = balance + @x - @c, in_flight = in_flight - 1 WHERE id = @a;")
            .Bind("x", amount).Bind("c", charge).Bind("a", accountId).RowsAsync(ct);
        if (charge > 0)
        {
            await Pg.Command(connection, EntrySql).Bind("a", accountId).Bind("k", "charge").Bind("x", -charge).Bind("t", taskId).Bind("r", null)
                .Bind("now", ms).RowsAsync(ct);
        }

        return new HoldClosed(charge, amount - charge);
    }

    private const string EntrySql = "INSERT INTO ledger (account_id, kind, amount, task_id, reason, created_at) VALUES (@a, @k, @x, @t, @r, @now);";

}
