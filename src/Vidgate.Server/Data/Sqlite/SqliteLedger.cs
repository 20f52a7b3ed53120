using System.Data.Common;
using Microsoft.Data.Sqlite;
using Vidgate.Server.Billing;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Data.Sqlite;

/// <summary>
/// <see cref="ILedger"/> on SQLite (tables <c>accounts</c>, <c>holds</c>, <c>ledger</c>, <c>idempotency_keys</c>),
/// always on the writer's connection inside the caller's write. Every statement is kept prepared on that connection:
/// this is the create path. The seam is asynchronous for PostgreSQL's sake; here every call completes inline.
/// </summary>
internal sealed class SqliteLedger : ILedger
{
    public ValueTask<HoldRefusal?> HoldAsync(DbConnection connection, HoldRequest request, DateTimeOffset now, CancellationToken ct)
        => new(Hold(connection, request, now));

    public ValueTask<HoldClosed?> SettleAsync(DbConnection connection, string taskId, int? actualSeconds, DateTimeOffset now, CancellationToken ct)
        => new(Settle(connection, taskId, actualSeconds, now));

    public ValueTask<HoldClosed?> ReleaseAsync(DbConnection connection, string taskId, string outcome, DateTimeOffset now, CancellationToken ct)
        => new(Release(connection, taskId, outcome, now));

    public ValueTask RecordUpstreamCostAsync(DbConnection connection, string taskId, long costUsdTicks, CancellationToken ct)
    {
        RecordUpstreamCost(connection, taskId, costUsdTicks);
        return ValueTask.CompletedTask;
    }

    public ValueTask<Idempotency.Entry?> FindIdempotencyAsync(DbConnection connection, string accountId, string key, CancellationToken ct)
        => new(FindIdempotency(connection, accountId, key));

    public ValueTask RecordIdempotencyAsync(DbConnection connection, string accountId, IdempotencyClaim claim, string taskId, DateTimeOffset now, CancellationToken ct)
    {
        RecordIdempotency(connection, accountId, claim, taskId, now);
        return ValueTask.CompletedTask;
    }

    private static HoldRefusal? Hold(DbConnection connection, HoldRequest request, DateTimeOffset now)
    {
        var sqlite = (SqliteConnection)connection;
        var amount = request.Amount;

        // The happy path is one conditional statement; only a refusal reads the row again to say why.
        // An unmetered account is never refused for balance: its balance may go below zero and shows what it used.
        var taken = Sql.Command(sqlite, """
            UPDATE accounts SET balance = balance - $x, held = held + $x, in_flight = in_flight + 1
             WHERE id = $a AND (unmetered = 1 OR balance >= $x) AND ($max IS NULL OR in_flight < $max);
            """).Bind("$x", amount).Bind("$a", request.AccountId).Bind("$max", request.Plan.MaxInFlight).Changed();
        if (!taken)
        {
            return Refusal(sqlite, request, amount);
        }

        Sql.Command(sqlite, """
            INSERT INTO holds (task_id, account_id, key_id, model, resolution, seconds, images, per_second, per_image,
                               price_multiplier, amount, state, created_at)
            VALUES ($t, $a, $k, $m, $r, $s, $i, $ps, $pi, $mul, $x, 'held', $now);
            """)
            .Bind("$t", request.TaskId).Bind("$a", request.AccountId).Bind("$k", request.KeyId).Bind("$m", request.Model)
            .Bind("$r", request.Resolution).Bind("$s", request.Seconds).Bind("$i", request.Images)
            .Bind("$ps", request.Price.PerSecond).Bind("$pi", request.Price.PerImage).Bind("$mul", request.Plan.PriceMultiplier)
            .Bind("$x", amount).Bind("$now", Sql.Ms(now)).ExecuteNonQuery();
        return null;
    }

    private static HoldRefusal Refusal(SqliteConnection connection, HoldRequest request, long amount)
    {
        using var reader = Sql.Command(connection, "SELECT balance, in_flight FROM accounts WHERE id = $a;").Bind("$a", request.AccountId).ExecuteReader();
        if (!reader.Read())
        {
            return new HoldRefusal.NoAccount();
        }

        return request.Plan.MaxInFlight is { } limit && reader.GetInt64(1) >= limit
            ? new HoldRefusal.TooManyInFlight(limit)
            : new HoldRefusal.Insufficient(amount, reader.GetInt64(0));
    }

    private static HoldClosed? Settle(DbConnection connection, string taskId, int? actualSeconds, DateTimeOffset now)
    {
        var sqlite = (SqliteConnection)connection;
        long perSecond, perImage, multiplier, amount;
        int seconds, images;
        string accountId;
        using (var reader = Sql.Command(sqlite, """
                   SELECT account_id, seconds, images, per_second, per_image, price_multiplier, amount
                     FROM holds WHERE task_id = $t AND state = 'held';
                   """).Bind("$t", taskId).ExecuteReader())
        {
            if (!reader.Read())
            {
                return null;
            }

            (accountId, seconds, images) = (reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2));
            (perSecond, perImage, multiplier, amount) = (reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6));
        }

        var delivered = Math.Clamp(actualSeconds ?? seconds, 0, seconds);
        var charge = Math.Min(amount, Money.Cost(perSecond, delivered, perImage, images, multiplier));
        return Close(sqlite, taskId, accountId, amount, charge, "settled", "completed", delivered, now);
    }

    private static HoldClosed? Release(DbConnection connection, string taskId, string outcome, DateTimeOffset now)
    {
        var sqlite = (SqliteConnection)connection;
        string accountId;
        long amount;
        using (var reader = Sql.Command(sqlite, "SELECT account_id, amount FROM holds WHERE task_id = $t AND state = 'held';").Bind("$t", taskId).ExecuteReader())
        {
            if (!reader.Read())
            {
                return null;
            }

            (accountId, amount) = (reader.GetString(0), reader.GetInt64(1));
        }

        return Close(sqlite, taskId, accountId, amount, 0, "released", outcome, 0, now);
    }

    private static void RecordUpstreamCost(DbConnection connection, string taskId, long costUsdTicks)
        => Sql.Command((SqliteConnection)connection, "UPDATE holds SET upstream_cost_usd_ticks = $ticks WHERE task_id = $id;")
            .Bind("$id", taskId).Bind("$ticks", costUsdTicks).ExecuteNonQuery();

    public static Idempotency.Entry? FindIdempotency(DbConnection connection, string accountId, string key)
        => Sql.Command((SqliteConnection)connection, "SELECT task_id, request_hash FROM idempotency_keys WHERE account_id = $a AND key = $k;")
            .Bind("$a", accountId).Bind("$k", key).One(static r => new Idempotency.Entry(r.GetString(0), (byte[])r.GetValue(1)));

    private static void RecordIdempotency(DbConnection connection, string accountId, IdempotencyClaim claim, string taskId, DateTimeOffset now)
        => Sql.Command((SqliteConnection)connection, """
            INSERT INTO idempotency_keys (account_id, key, request_hash, task_id, created_at) VALUES ($a, $k, $h, $t, $now);
            """).Bind("$a", accountId).Bind("$k", claim.Key).Bind("$h", claim.RequestHash).Bind("$t", taskId).Bind("$now", Sql.Ms(now))
            .ExecuteNonQuery();

    /// <summary>Keys older than the lifetime are forgotten; a later request with one of them is a new create.</summary>
    public static int SweepIdempotency(SqliteConnection connection, DateTimeOffset olderThan)
        => Sql.Command(connection, "DELETE FROM idempotency_keys WHERE created_at < $before;").Bind("$before", Sql.Ms(olderThan)).ExecuteNonQuery();

    /// <summary>A top-up (<c>credit</c>, positive) or a signed correction (<c>adjust</c>). False if there is no such account.</summary>
    public static bool Credit(SqliteConnection connection, string accountId, string kind, long amount, string reason, DateTimeOffset now)
    {
        if (!Sql.Command(connection, "UPDATE accounts SET balance = balance + $x WHERE id = $a;").Bind("$x", amount).Bind("$a", accountId).Changed())
        {
            return false;
        }

        Entry(connection, accountId, kind, amount, null, reason, Sql.Ms(now));
        return true;
    }

    private static HoldClosed? Close(
        SqliteConnection connection, string taskId, string accountId, long amount, long charge, string state, string outcome, int seconds, DateTimeOffset now)
    {
        var ms = Sql.Ms(now);

        // The compare-and-swap: only the first close of an open hold moves money.
        var closed = Sql.Command(connection, """
            UPDATE holds SET state = $state, outcome = $outcome, actual_seconds = $s, charged = $c, closed_at = $now
             WHERE task_id = $t AND state = 'held';
            """).Bind("$state", state).Bind("$outcome", outcome).Bind("$s", seconds).Bind("$c", charge).Bind("$now", ms)
            .Bind("$t", taskId).Changed();
        if (!closed)
        {
            return null;
        }

        Sql.Command(connection, "UPDATE accounts SET held = held - $x, balance = balance + $x - $c, in_flight = in_flight - 1 WHERE id = $a;")
            .Bind("$x", amount).Bind("$c", charge).Bind("$a", accountId).ExecuteNonQuery();
        if (charge > 0)
        {
            Entry(connection, accountId, "charge", -charge, taskId, null, ms);
        }

        return new HoldClosed(charge, amount - charge);
    }

    private static void Entry(SqliteConnection connection, string accountId, string kind, long amount, string? taskId, string? reason, long ms)
        => Sql.Command(connection, """
            INSERT INTO ledger (account_id, kind, amount, task_id, reason, created_at) VALUES ($a, $k, $x, $t, $r, $now);
            """).Bind("$a", accountId).Bind("$k", kind).Bind("$x", amount).Bind("$t", taskId).Bind("$r", reason).Bind("$now", ms)
            .ExecuteNonQuery();
}
