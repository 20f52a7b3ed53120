using Microsoft.Data.Sqlite;

namespace Vidgate.Server.Billing;

/// <summary>What a create asks to hold: the price used, written on the hold so settling later needs no price lookup.</summary>
internal sealed record HoldRequest(
    string TaskId, string AccountId, string KeyId, string Model, int Resolution, int Seconds, int Images, Price Price, Plan Plan)
{
    public long Amount => Money.Cost(Price.PerSecond, Seconds, Price.PerImage, Images, Plan.PriceMultiplier);
}

/// <summary>Why a hold was refused (nothing was written).</summary>
internal abstract record HoldRefusal
{
    public sealed record Insufficient(long Needed, long Available) : HoldRefusal;

    public sealed record TooManyInFlight(int Limit) : HoldRefusal;

    public sealed record NoAccount : HoldRefusal;
}

/// <summary>What closing a hold moved, in micro-units: charged to the account, and given back to its balance.</summary>
internal readonly record struct HoldClosed(long Charged, long Returned);

/// <summary>
/// All money movement, on the caller's open connection and inside the caller's write, so it commits or rolls back
/// with the task transition that caused it. Settle and release are conditional on the hold still being open, so
/// whichever node or retry closes it first wins and the other is a no-op: a task is charged or refunded once only.
/// Invariant per account: credits + adjustments − charges (the ledger) − open holds = balance. A create writes no
/// ledger row, only the hold: the hot path stays three statements (account, hold, task).
/// </summary>
internal static class Ledger
{
    /// <summary>Takes the hold for a new task, or says why not. Call in the same write as the task insert.</summary>
    public static HoldRefusal? Hold(SqliteConnection connection, HoldRequest request, DateTimeOffset now)
    {
        var amount = request.Amount;

        // The happy path is one conditional statement; only a refusal reads the row again to say why.
        // An unmetered account is never refused for balance: its balance may go below zero and shows what it used.
        var taken = Statements.For(connection, """
            UPDATE accounts SET balance = balance - $x, held = held + $x, in_flight = in_flight + 1
             WHERE id = $a AND (unmetered = 1 OR balance >= $x) AND ($max IS NULL OR in_flight < $max);
            """).With("$x", amount).With("$a", request.AccountId).With("$max", request.Plan.MaxInFlight).ExecuteNonQuery();
        if (taken == 0)
        {
            return Refusal(connection, request, amount);
        }

        var ms = now.ToUnixTimeMilliseconds();
        Statements.For(connection, """
            INSERT INTO holds (task_id, account_id, key_id, model, resolution, seconds, images, per_second, per_image,
                               price_multiplier, amount, state, created_at)
            VALUES ($t, $a, $k, $m, $r, $s, $i, $ps, $pi, $mul, $x, 'held', $now);
            """)
            .With("$t", request.TaskId).With("$a", request.AccountId).With("$k", request.KeyId).With("$m", request.Model)
            .With("$r", request.Resolution).With("$s", request.Seconds).With("$i", request.Images)
            .With("$ps", request.Price.PerSecond).With("$pi", request.Price.PerImage).With("$mul", request.Plan.PriceMultiplier)
            .With("$x", amount).With("$now", ms).ExecuteNonQuery();
        return null;
    }

    private static HoldRefusal Refusal(SqliteConnection connection, HoldRequest request, long amount)
    {
        using var reader = Statements.For(connection, "SELECT balance, in_flight FROM accounts WHERE id = $a;")
            .With("$a", request.AccountId).ExecuteReader();
        if (!reader.Read())
        {
            return new HoldRefusal.NoAccount();
        }

        return request.Plan.MaxInFlight is { } limit && reader.GetInt64(1) >= limit
            ? new HoldRefusal.TooManyInFlight(limit)
            : new HoldRefusal.Insufficient(amount, reader.GetInt64(0));
    }

    /// <summary>
    /// Completed: charge for what was delivered (the actual seconds if the provider made fewer, never more than held)
    /// and give the rest back. Null if the hold was already closed (or never existed).
    /// </summary>
    public static HoldClosed? Settle(SqliteConnection connection, string taskId, int? actualSeconds, DateTimeOffset now)
    {
        long perSecond, perImage, multiplier, amount;
        int seconds, images;
        string accountId;
        using (var reader = Statements.For(connection, """
                   SELECT account_id, seconds, images, per_second, per_image, price_multiplier, amount
                     FROM holds WHERE task_id = $t AND state = 'held';
                   """).With("$t", taskId).ExecuteReader())
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
        return Close(connection, taskId, accountId, amount, charge, "settled", "completed", delivered, now);
    }

    /// <summary>Failed, cancelled, deadline, expired: the whole hold goes back. Null if it was already closed.</summary>
    public static HoldClosed? Release(SqliteConnection connection, string taskId, string outcome, DateTimeOffset now)
    {
        string accountId;
        long amount;
        using (var reader = Statements.For(connection, "SELECT account_id, amount FROM holds WHERE task_id = $t AND state = 'held';")
                   .With("$t", taskId).ExecuteReader())
        {
            if (!reader.Read())
            {
                return null;
            }

            (accountId, amount) = (reader.GetString(0), reader.GetInt64(1));
        }

        return Close(connection, taskId, accountId, amount, 0, "released", outcome, 0, now);
    }

    /// <summary>A top-up (<c>credit</c>, positive) or a signed correction (<c>adjust</c>). False if there is no such account.</summary>
    public static bool Credit(SqliteConnection connection, string accountId, string kind, long amount, string reason, DateTimeOffset now)
    {
        var changed = Statements.For(connection, "UPDATE accounts SET balance = balance + $x WHERE id = $a;")
            .With("$x", amount).With("$a", accountId).ExecuteNonQuery();
        if (changed == 0)
        {
            return false;
        }

        Entry(connection, accountId, kind, amount, null, reason, now.ToUnixTimeMilliseconds());
        return true;
    }

    private static HoldClosed? Close(
        SqliteConnection connection, string taskId, string accountId, long amount, long charge, string state, string outcome, int seconds, DateTimeOffset now)
    {
        var ms = now.ToUnixTimeMilliseconds();

        // The compare-and-swap: only the first close of an open hold moves money.
        var closed = Statements.For(connection, """
            UPDATE holds SET state = $state, outcome = $outcome, actual_seconds = $s, charged = $c, closed_at = $now
             WHERE task_id = $t AND state = 'held';
            """).With("$state", state).With("$outcome", outcome).With("$s", seconds).With("$c", charge).With("$now", ms)
            .With("$t", taskId).ExecuteNonQuery();
        if (closed == 0)
        {
            return null;
        }

        Statements.For(connection, "UPDATE accounts SET held = held - $x, balance = balance + $x - $c, in_flight = in_flight - 1 WHERE id = $a;")
            .With("$x", amount).With("$c", charge).With("$a", accountId).ExecuteNonQuery();
        if (charge > 0)
        {
            Entry(connection, accountId, "charge", -charge, taskId, null, ms);
        }

        return new HoldClosed(charge, amount - charge);
    }

    private static void Entry(SqliteConnection connection, string accountId, string kind, long amount, string? taskId, string? reason, long ms)
        => Statements.For(connection, """
            INSERT INTO ledger (account_id, kind, amount, task_id, reason, created_at) VALUES ($a, $k, $x, $t, $r, $now);
            """).With("$a", accountId).With("$k", kind).With("$x", amount).With("$t", taskId).With("$r", reason).With("$now", ms)
            .ExecuteNonQuery();
}
