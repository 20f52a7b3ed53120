using System.Text.Json;
using Microsoft.Data.Sqlite;
using Vidgate.Contracts;
using Vidgate.Server.Billing;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Data.Sqlite;

/// <summary><see cref="IBillingStore"/> on SQLite: accounts, tiers, prices, ledger and usage (the admin side of billing).</summary>
internal sealed class SqliteBillingStore(SqliteDatabase db, TimeProvider clock) : IBillingStore
{
    private const string AccountColumns = "id, name, tier_id, unmetered, balance, held, in_flight, created_at";
    private const string TierColumns = "id, price_multiplier, allowed_models, max_seconds, max_resolution, requests_per_minute, max_in_flight, updated_at";
    private const string SelectAccountSql = $"SELECT {AccountColumns} FROM accounts WHERE id = $id;";

    public Task<Idempotency.Entry?> FindIdempotencyAsync(string accountId, string key, CancellationToken ct)
        => db.ReadAsync(connection => SqliteLedger.FindIdempotency(connection, accountId, key), ct);

    public Task<int> SweepIdempotencyAsync(DateTimeOffset olderThan, CancellationToken ct)
        => db.WriteAsync(connection => SqliteLedger.SweepIdempotency(connection, olderThan), ct);

    public Task<Account?> CreateAccountAsync(string name, string tier, bool unmetered, CancellationToken ct) => db.WriteAsync(connection =>
    {
        if (!TierExists(connection, tier))
        {
            return null;
        }

        return Sql.Command(connection, $"""
            INSERT INTO accounts (id, name, created_at, tier_id, unmetered) VALUES ($id, $name, $now, $tier, $unmetered)
            RETURNING {AccountColumns};
            """).Bind("$id", "acct_" + Guid.CreateVersion7().ToString("N")).Bind("$name", name).Bind("$now", Sql.Ms(clock.GetUtcNow()))
            .Bind("$tier", tier).Bind("$unmetered", Sql.Flag(unmetered)).One(MapAccount);
    }, ct);

    public Task<(Account? Account, bool TierMissing)> UpdateAccountAsync(string id, string? name, string? tier, bool? unmetered, CancellationToken ct)
        => db.WriteAsync(connection =>
        {
            if (tier is not null && !TierExists(connection, tier))
            {
                return (null, true);
            }

            return (Sql.Command(connection, $"""
                UPDATE accounts SET name = COALESCE($name, name), tier_id = COALESCE($tier, tier_id), unmetered = COALESCE($unmetered, unmetered)
                 WHERE id = $id RETURNING {AccountColumns};
                """).Bind("$id", id).Bind("$name", name).Bind("$tier", tier).Bind("$unmetered", unmetered is { } u ? Sql.Flag(u) : null)
                .One(MapAccount), false);
        }, ct);

    public Task<Account?> GetAccountAsync(string id, CancellationToken ct) => db.ReadAsync(connection =>
        Sql.Command(connection, SelectAccountSql).Bind("$id", id).One(MapAccount), ct);

    public Task<HoldClosed?> ClosedHoldAsync(string taskId, CancellationToken ct) => db.ReadAsync(connection =>
    {
        using var reader = Sql.Command(connection, "SELECT amount, COALESCE(charged, 0) FROM holds WHERE task_id = $t AND state <> 'held';")
            .Bind("$t", taskId).ExecuteReader();
        return reader.Read() ? new HoldClosed(reader.GetInt64(1), reader.GetInt64(0) - reader.GetInt64(1)) : (HoldClosed?)null;
    }, ct);

    public Task<IReadOnlyList<Account>> ListAccountsAsync(CancellationToken ct) => db.ReadAsync(connection =>
        (IReadOnlyList<Account>)Sql.Command(connection, $"SELECT {AccountColumns} FROM accounts ORDER BY id;").All(MapAccount), ct);

    public Task<(Account Account, long LedgerBalance)?> GetAccountWithLedgerAsync(string id, CancellationToken ct) => db.ReadAsync(connection =>
    {
        using var reader = Sql.Command(connection, $"""
            SELECT {AccountColumns},
                   (SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE account_id = accounts.id)
                 - (SELECT COALESCE(SUM(amount), 0) FROM holds WHERE account_id = accounts.id AND state = 'held')
              FROM accounts WHERE id = $id;
            """).Bind("$id", id).ExecuteReader();
        return reader.Read() ? (MapAccount(reader), reader.GetInt64(8)) : ((Account, long)?)null;
    }, ct);

    public Task<(BalanceChange Result, Account? Account)> ChangeBalanceAsync(string accountId, string kind, long amount, string reason, CancellationToken ct)
        => db.WriteAsync(connection =>
        {
            var account = Sql.Command(connection, SelectAccountSql).Bind("$id", accountId).One(MapAccount);
            if (account is null)
            {
                return (BalanceChange.NoAccount, null);
            }

            if (!account.Unmetered && account.Balance + amount < 0)
            {
                return (BalanceChange.WouldGoNegative, account);
            }

            SqliteLedger.Credit(connection, accountId, kind, amount, reason, clock.GetUtcNow());
            return (BalanceChange.Done, Sql.Command(connection, SelectAccountSql).Bind("$id", accountId).One(MapAccount));
        }, ct);

    public Task<(IReadOnlyList<LedgerEntry> Page, bool HasMore)> LedgerAsync(string accountId, long after, int limit, CancellationToken ct) => db.ReadAsync(connection =>
    {
        var entries = Sql.Command(connection, """
            SELECT seq, account_id, kind, amount, task_id, reason, created_at FROM ledger
             WHERE account_id = $a AND seq > $after ORDER BY seq LIMIT $limit;
            """).Bind("$a", accountId).Bind("$after", after).Bind("$limit", limit + 1)
            .All(static r => new LedgerEntry(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.TextOrNull(4), r.TextOrNull(5), r.Time(6)));
        return entries.Count > limit ? ((IReadOnlyList<LedgerEntry>)[.. entries.Take(limit)], true) : (entries, false);
    }, ct);

    public Task<Tier> UpsertTierAsync(Tier tier, CancellationToken ct) => db.WriteAsync(connection =>
        Sql.Command(connection, $"""
            INSERT INTO tiers ({TierColumns}) VALUES ($id, $mul, $models, $secs, $res, $rpm, $flight, $now)
            ON CONFLICT (id) DO UPDATE SET price_multiplier = excluded.price_multiplier, allowed_models = excluded.allowed_models,
                max_seconds = excluded.max_seconds, max_resolution = excluded.max_resolution,
                requests_per_minute = excluded.requests_per_minute, max_in_flight = excluded.max_in_flight, updated_at = excluded.updated_at
            RETURNING {TierColumns};
            """).Bind("$id", tier.Id).Bind("$mul", tier.PriceMultiplier)
            .Bind("$models", tier.AllowedModels is null ? null : JsonSerializer.Serialize(tier.AllowedModels.ToArray(), StoreJson.Default.StringArray))
            .Bind("$secs", tier.MaxSeconds).Bind("$res", tier.MaxResolution).Bind("$rpm", tier.RequestsPerMinute).Bind("$flight", tier.MaxInFlight)
            .Bind("$now", Sql.Ms(clock.GetUtcNow())).One(MapTier)!, ct);

    public Task<IReadOnlyList<Tier>> ListTiersAsync(CancellationToken ct) => db.ReadAsync(connection =>
        (IReadOnlyList<Tier>)Sql.Command(connection, $"SELECT {TierColumns} FROM tiers ORDER BY id;").All(MapTier), ct);

    public Task<IReadOnlyList<PriceRow>> PricesAsync(CancellationToken ct) => db.ReadAsync(connection =>
        (IReadOnlyList<PriceRow>)Sql.Command(connection, "SELECT model, resolution, per_second, per_image, updated_at FROM prices ORDER BY model, resolution;")
            .All(static r => new PriceRow(r.GetString(0), r.GetInt32(1), r.GetInt64(2), r.GetInt64(3), r.Time(4))), ct);

    public Task UpsertPriceAsync(string model, int resolution, long perSecond, long perImage, CancellationToken ct) => db.WriteAsync(connection =>
        Sql.Command(connection, """
            INSERT INTO prices (model, resolution, per_second, per_image, updated_at) VALUES ($m, $r, $ps, $pi, $now)
            ON CONFLICT (model, resolution) DO UPDATE SET per_second = excluded.per_second, per_image = excluded.per_image,
                updated_at = excluded.updated_at;
            """).Bind("$m", model).Bind("$r", resolution).Bind("$ps", perSecond).Bind("$pi", perImage).Bind("$now", Sql.Ms(clock.GetUtcNow()))
            .ExecuteNonQuery(), ct);

    public Task<bool> DeletePriceAsync(string model, int resolution, CancellationToken ct) => db.WriteAsync(connection =>
        Sql.Command(connection, "DELETE FROM prices WHERE model = $m AND resolution = $r;").Bind("$m", model).Bind("$r", resolution).Changed(), ct);

    /// <summary>
    /// Usage from the daily rollup (<c>usage_daily</c>, migration 0012), which triggers on <c>holds</c> keep equal to the
    /// holds' aggregate: a report reads one row per day, account, key and model, however many tasks there were. The
    /// upstream cost is summed exactly as whole dollars and leftover ticks, so no sum can overflow a 64-bit integer.
    /// </summary>
    public Task<IReadOnlyList<UsageLine>> UsageAsync(UsageFilter filter, CancellationToken ct) => db.ReadAsync(connection =>
        (IReadOnlyList<UsageLine>)Sql.Command(connection, UsageSql)
            .Bind("$a", filter.AccountId).Bind("$k", filter.KeyId).Bind("$m", filter.Model)
            .Bind("$from", filter.From is { } f ? Day(f) : null).Bind("$to", filter.To is { } t ? Day(t) : null)
            .All(static r =>
            {
                var row = new UsageRow(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt32(4), r.GetInt32(5), r.GetInt32(6),
                    r.GetInt32(7), r.GetInt32(8), r.GetInt32(9), r.GetInt64(10), r.GetInt64(11), r.GetInt64(12), r.GetInt64(13));
                var ticks = (Int128)r.GetInt64(14) * Money.UsdTicksPerDollar + r.GetInt64(15);
                return new UsageLine(row, new UpstreamCost(ticks, r.GetInt32(16)));
            }), ct);

    // tasks > 0: a group whose holds were all deleted reads as no group, as the aggregate of the holds would.
    private const string UsageSql = """
        SELECT account_id, key_id, model, day, tasks, completed, failed, cancelled, other, in_flight, seconds_generated,
               charged, refunded, held, cost_dollars, cost_ticks, cost_tasks
          FROM usage_daily
         WHERE tasks > 0 AND ($a IS NULL OR account_id = $a) AND ($k IS NULL OR key_id = $k) AND ($m IS NULL OR model = $m)
           AND ($from IS NULL OR day >= $from) AND ($to IS NULL OR day <= $to)
         ORDER BY day, account_id, key_id, model;
        """;

    public Task<IReadOnlyList<MarginLine>> MarginAsync(UsageFilter filter, CancellationToken ct) => db.ReadAsync(connection =>
        (IReadOnlyList<MarginLine>)Sql.Command(connection, MarginSql)
            .Bind("$a", filter.AccountId).Bind("$m", filter.Model)
            .Bind("$from", filter.From is { } f ? DayStart(f) : null).Bind("$to", filter.To is { } t ? DayStart(t.AddDays(1)) : null)
            .All(static r => new MarginLine(
                r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetInt32(3), r.GetInt64(4), r.GetInt32(5), r.GetInt64(6),
                (Int128)r.GetInt64(7) * Money.UsdTicksPerDollar + r.GetInt64(8), r.GetInt32(9), r.GetInt64(10))), ct);

    // Cost summed as whole dollars and leftover ticks (as in UsageSql), so no sum can overflow 64 bits.
    private const string MarginSql = """
        SELECT date(h.created_at / 1000, 'unixepoch') AS day, h.model, COALESCE(j.provider_id, t.provider) AS provider, COUNT(*),
               COALESCE(SUM(h.charged), 0),
               COUNT(h.upstream_cost_usd_ticks), COALESCE(SUM(CASE WHEN h.upstream_cost_usd_ticks IS NOT NULL THEN h.charged END), 0),
               COALESCE(SUM(h.upstream_cost_usd_ticks / 10000000000), 0), COALESCE(SUM(h.upstream_cost_usd_ticks % 10000000000), 0),
               COUNT(*) FILTER (WHERE h.upstream_cost_usd_ticks IS NULL AND h.charged > 0),
               COALESCE(SUM(CASE WHEN h.upstream_cost_usd_ticks IS NULL THEN h.charged END), 0)
          FROM holds h LEFT JOIN tasks t ON t.id = h.task_id LEFT JOIN upstream_jobs j ON j.task_id = h.task_id
         WHERE ($a IS NULL OR h.account_id = $a) AND ($m IS NULL OR h.model = $m)
           AND ($from IS NULL OR h.created_at >= $from) AND ($to IS NULL OR h.created_at < $to)
         GROUP BY 1, 2, 3
         ORDER BY 1, 2, 3;
        """;

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    private static long? DayStart(DateOnly day) => Sql.Ms(new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero));

    private static bool TierExists(SqliteConnection connection, string tier)
        => Sql.Command(connection, "SELECT EXISTS (SELECT 1 FROM tiers WHERE id = $id);").Bind("$id", tier).Scalar() != 0;

    private static Account MapAccount(SqliteDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3) != 0, r.GetInt64(4), r.GetInt64(5), r.GetInt32(6), r.Time(7));

    private static Tier MapTier(SqliteDataReader r) => new(
        r.GetString(0), r.GetInt64(1), r.IsDBNull(2) ? null : JsonSerializer.Deserialize(r.GetString(2), StoreJson.Default.StringArray),
        r.IntOrNull(3), r.IntOrNull(4), r.IntOrNull(5), r.IntOrNull(6), r.Time(7));
}
