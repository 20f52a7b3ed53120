using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Vidgate.Contracts;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Billing;

/// <summary>Accounts, tiers, prices, ledger and usage on the embedded database (the admin side of billing).</summary>
internal sealed class BillingStore(SqliteDatabase db, TimeProvider clock)
{
    private const string AccountColumns = "id, name, tier_id, unmetered, balance, held, in_flight, created_at";
    private const string TierColumns = "id, price_multiplier, allowed_models, max_seconds, max_resolution, requests_per_minute, max_in_flight, updated_at";

    public Task<Idempotency.Entry?> FindIdempotencyAsync(string accountId, string key, CancellationToken ct)
        => db.ReadAsync(connection => Idempotency.Find(connection, accountId, key), ct);

    public Task<int> SweepIdempotencyAsync(DateTimeOffset olderThan, CancellationToken ct)
        => db.WriteAsync(connection => Idempotency.Sweep(connection, olderThan), ct);

    public Task<Account?> CreateAccountAsync(string name, string tier, bool unmetered, CancellationToken ct) => db.WriteAsync(connection =>
    {
        if (!TierExists(connection, tier))
        {
            return null;
        }

        using var command = connection.CreateCommand();
        command.CommandText = $"""
            INSERT INTO accounts (id, name, created_at, tier_id, unmetered) VALUES ($id, $name, $now, $tier, $unmetered)
            RETURNING {AccountColumns};
            """;
        command.Parameters.AddWithValue("$id", "acct_" + Guid.CreateVersion7().ToString("N"));
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$now", clock.GetUtcNow().ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$tier", tier);
        command.Parameters.AddWithValue("$unmetered", unmetered ? 1 : 0);
        return ReadAccount(command);
    }, ct);

    /// <summary>Null fields are left as they are. Null: no such account; the tier must exist.</summary>
    public Task<(Account? Account, bool TierMissing)> UpdateAccountAsync(string id, string? name, string? tier, bool? unmetered, CancellationToken ct)
        => db.WriteAsync(connection =>
        {
            if (tier is not null && !TierExists(connection, tier))
            {
                return (null, true);
            }

            using var command = connection.CreateCommand();
            command.CommandText = $"""
                UPDATE accounts SET name = COALESCE($name, name), tier_id = COALESCE($tier, tier_id), unmetered = COALESCE($unmetered, unmetered)
                 WHERE id = $id RETURNING {AccountColumns};
                """;
            command.Parameters.AddWithValue("$id", id);
            command.Parameters.AddWithValue("$name", (object?)name ?? DBNull.Value);
            command.Parameters.AddWithValue("$tier", (object?)tier ?? DBNull.Value);
            command.Parameters.AddWithValue("$unmetered", unmetered is { } u ? (u ? 1 : 0) : DBNull.Value);
            return (ReadAccount(command), false);
        }, ct);

    /// <summary>
    /// What closing the task's hold moved (charged, given back); null while it is open or when the task has none. Read by
    /// whoever ended the task (it got <c>true</c> from the store) to count the money in <c>/metrics</c>.
    /// </summary>
    public Task<HoldClosed?> ClosedHoldAsync(string taskId, CancellationToken ct) => db.ReadAsync(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT amount, COALESCE(charged, 0) FROM holds WHERE task_id = $t AND state <> 'held';";
        command.Parameters.AddWithValue("$t", taskId);
        using var reader = command.ExecuteReader();
        return reader.Read() ? new HoldClosed(reader.GetInt64(1), reader.GetInt64(0) - reader.GetInt64(1)) : (HoldClosed?)null;
    }, ct);

    public Task<Account?> GetAccountAsync(string id, CancellationToken ct) => db.ReadAsync(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {AccountColumns} FROM accounts WHERE id = $id;";
        command.Parameters.AddWithValue("$id", id);
        return ReadAccount(command);
    }, ct);

    public Task<IReadOnlyList<Account>> ListAccountsAsync(CancellationToken ct) => db.ReadAsync(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {AccountColumns} FROM accounts ORDER BY id;";
        using var reader = command.ExecuteReader();
        var accounts = new List<Account>();
        while (reader.Read())
        {
            accounts.Add(MapAccount(reader));
        }

        return (IReadOnlyList<Account>)accounts;
    }, ct);

    /// <summary>
    /// The account and its balance recomputed from the ledger and the open holds, read in one statement (one
    /// snapshot): the two are equal unless something is wrong.
    /// </summary>
    public Task<(Account Account, long LedgerBalance)?> GetAccountWithLedgerAsync(string id, CancellationToken ct) => db.ReadAsync(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {AccountColumns},
                   (SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE account_id = accounts.id)
                 - (SELECT COALESCE(SUM(amount), 0) FROM holds WHERE account_id = accounts.id AND state = 'held')
              FROM accounts WHERE id = $id;
            """;
        command.Parameters.AddWithValue("$id", id);
        using var reader = command.ExecuteReader();
        return reader.Read() ? (MapAccount(reader), reader.GetInt64(8)) : ((Account, long)?)null;
    }, ct);

    /// <summary>
    /// A top-up (<c>credit</c>) or a signed <c>adjust</c>ment, with its reason in the ledger. An adjustment may not take a
    /// metered account below zero: an operator correcting a balance must not create a debt by accident.
    /// </summary>
    public Task<(BalanceChange Result, Account? Account)> ChangeBalanceAsync(string accountId, string kind, long amount, string reason, CancellationToken ct)
        => db.WriteAsync(connection =>
        {
            using var select = connection.CreateCommand();
            select.CommandText = $"SELECT {AccountColumns} FROM accounts WHERE id = $id;";
            select.Parameters.AddWithValue("$id", accountId);
            var account = ReadAccount(select);
            if (account is null)
            {
                return (BalanceChange.NoAccount, null);
            }

            if (!account.Unmetered && account.Balance + amount < 0)
            {
                return (BalanceChange.WouldGoNegative, account);
            }

            Ledger.Credit(connection, accountId, kind, amount, reason, clock.GetUtcNow());
            return (BalanceChange.Done, ReadAccount(select));
        }, ct);

    public Task<(IReadOnlyList<LedgerEntry> Page, bool HasMore)> LedgerAsync(string accountId, long after, int limit, CancellationToken ct) => db.ReadAsync(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT seq, account_id, kind, amount, task_id, reason, created_at FROM ledger
             WHERE account_id = $a AND seq > $after ORDER BY seq LIMIT $limit;
            """;
        command.Parameters.AddWithValue("$a", accountId);
        command.Parameters.AddWithValue("$after", after);
        command.Parameters.AddWithValue("$limit", limit + 1);
        using var reader = command.ExecuteReader();
        var entries = new List<LedgerEntry>();
        while (reader.Read())
        {
            entries.Add(new LedgerEntry(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6))));
        }

        return entries.Count > limit ? ((IReadOnlyList<LedgerEntry>)[.. entries.Take(limit)], true) : (entries, false);
    }, ct);

    public Task<Tier> UpsertTierAsync(Tier tier, CancellationToken ct) => db.WriteAsync(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            INSERT INTO tiers ({TierColumns}) VALUES ($id, $mul, $models, $secs, $res, $rpm, $flight, $now)
            ON CONFLICT (id) DO UPDATE SET price_multiplier = excluded.price_multiplier, allowed_models = excluded.allowed_models,
                max_seconds = excluded.max_seconds, max_resolution = excluded.max_resolution,
                requests_per_minute = excluded.requests_per_minute, max_in_flight = excluded.max_in_flight, updated_at = excluded.updated_at
            RETURNING {TierColumns};
            """;
        command.Parameters.AddWithValue("$id", tier.Id);
        command.Parameters.AddWithValue("$mul", tier.PriceMultiplier);
        command.Parameters.AddWithValue("$models", tier.AllowedModels is null ? DBNull.Value : JsonSerializer.Serialize(tier.AllowedModels.ToArray(), StoreJson.Default.StringArray));
        command.Parameters.AddWithValue("$secs", (object?)tier.MaxSeconds ?? DBNull.Value);
        command.Parameters.AddWithValue("$res", (object?)tier.MaxResolution ?? DBNull.Value);
        command.Parameters.AddWithValue("$rpm", (object?)tier.RequestsPerMinute ?? DBNull.Value);
        command.Parameters.AddWithValue("$flight", (object?)tier.MaxInFlight ?? DBNull.Value);
        command.Parameters.AddWithValue("$now", clock.GetUtcNow().ToUnixTimeMilliseconds());
        using var reader = command.ExecuteReader();
        reader.Read();
        return MapTier(reader);
    }, ct);

    public Task<IReadOnlyList<Tier>> ListTiersAsync(CancellationToken ct) => db.ReadAsync(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {TierColumns} FROM tiers ORDER BY id;";
        using var reader = command.ExecuteReader();
        var tiers = new List<Tier>();
        while (reader.Read())
        {
            tiers.Add(MapTier(reader));
        }

        return (IReadOnlyList<Tier>)tiers;
    }, ct);

    public Task UpsertPriceAsync(string model, int resolution, long perSecond, long perImage, CancellationToken ct) => db.WriteAsync(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO prices (model, resolution, per_second, per_image, updated_at) VALUES ($m, $r, $ps, $pi, $now)
            ON CONFLICT (model, resolution) DO UPDATE SET per_second = excluded.per_second, per_image = excluded.per_image,
                updated_at = excluded.updated_at;
            """;
        command.Parameters.AddWithValue("$m", model);
        command.Parameters.AddWithValue("$r", resolution);
        command.Parameters.AddWithValue("$ps", perSecond);
        command.Parameters.AddWithValue("$pi", perImage);
        command.Parameters.AddWithValue("$now", clock.GetUtcNow().ToUnixTimeMilliseconds());
        return command.ExecuteNonQuery();
    }, ct);

    public Task<bool> DeletePriceAsync(string model, int resolution, CancellationToken ct) => db.WriteAsync(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM prices WHERE model = $m AND resolution = $r;";
        command.Parameters.AddWithValue("$m", model);
        command.Parameters.AddWithValue("$r", resolution);
        return command.ExecuteNonQuery() > 0;
    }, ct);

    /// <summary>
    /// Usage by account, key, model and UTC day (of the create), from the holds: one per task, closed once. Each row
    /// carries the upstream cost of its tasks (migration 0006), summed exactly as whole dollars and leftover ticks, so no
    /// sum can overflow a 64-bit integer.
    /// </summary>
    public Task<IReadOnlyList<UsageLine>> UsageAsync(UsageFilter filter, CancellationToken ct) => db.ReadAsync(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT account_id, key_id, model, date(created_at / 1000, 'unixepoch') AS day, COUNT(*),
                   COUNT(*) FILTER (WHERE outcome = 'completed'), COUNT(*) FILTER (WHERE outcome = 'failed'),
                   COUNT(*) FILTER (WHERE outcome = 'cancelled'),
                   COUNT(*) FILTER (WHERE state <> 'held' AND outcome NOT IN ('completed', 'failed', 'cancelled')),
                   COUNT(*) FILTER (WHERE state = 'held'),
                   COALESCE(SUM(CASE WHEN state = 'settled' THEN actual_seconds END), 0),
                   COALESCE(SUM(charged), 0), COALESCE(SUM(CASE WHEN state <> 'held' THEN amount - charged END), 0),
                   COALESCE(SUM(CASE WHEN state = 'held' THEN amount END), 0),
                   COALESCE(SUM(upstream_cost_usd_ticks / 10000000000), 0), COALESCE(SUM(upstream_cost_usd_ticks % 10000000000), 0),
                   COUNT(upstream_cost_usd_ticks)
              FROM holds
             WHERE ($a IS NULL OR account_id = $a) AND ($k IS NULL OR key_id = $k) AND ($m IS NULL OR model = $m)
               AND ($from IS NULL OR created_at >= $from) AND ($to IS NULL OR created_at < $to)
             GROUP BY account_id, key_id, model, day
             ORDER BY day, account_id, key_id, model;
            """;
        command.Parameters.AddWithValue("$a", (object?)filter.AccountId ?? DBNull.Value);
        command.Parameters.AddWithValue("$k", (object?)filter.KeyId ?? DBNull.Value);
        command.Parameters.AddWithValue("$m", (object?)filter.Model ?? DBNull.Value);
        command.Parameters.AddWithValue("$from", filter.From is { } f ? DayStart(f) : DBNull.Value);
        command.Parameters.AddWithValue("$to", filter.To is { } t ? DayStart(t.AddDays(1)) : DBNull.Value);
        using var r = command.ExecuteReader();
        var rows = new List<UsageLine>();
        while (r.Read())
        {
            var row = new UsageRow(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt32(4), r.GetInt32(5), r.GetInt32(6),
                r.GetInt32(7), r.GetInt32(8), r.GetInt32(9), r.GetInt64(10), r.GetInt64(11), r.GetInt64(12), r.GetInt64(13));
            var ticks = (Int128)r.GetInt64(14) * Money.UsdTicksPerDollar + r.GetInt64(15);
            rows.Add(new UsageLine(row, new UpstreamCost(ticks, r.GetInt32(16))));
        }

        return (IReadOnlyList<UsageLine>)rows;
    }, ct);

    private static long DayStart(DateOnly day) => new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeMilliseconds();

    private static bool TierExists(SqliteConnection connection, string tier)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT EXISTS (SELECT 1 FROM tiers WHERE id = $id);";
        command.Parameters.AddWithValue("$id", tier);
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) != 0;
    }

    private static Account? ReadAccount(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        return reader.Read() ? MapAccount(reader) : null;
    }

    private static Account MapAccount(SqliteDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3) != 0, r.GetInt64(4), r.GetInt64(5), r.GetInt32(6),
        DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(7)));

    private static Tier MapTier(SqliteDataReader r) => new(
        r.GetString(0), r.GetInt64(1), r.IsDBNull(2) ? null : JsonSerializer.Deserialize(r.GetString(2), StoreJson.Default.StringArray),
        Int(r, 3), Int(r, 4), Int(r, 5), Int(r, 6), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(7)));

    private static int? Int(SqliteDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : r.GetInt32(ordinal);
}
