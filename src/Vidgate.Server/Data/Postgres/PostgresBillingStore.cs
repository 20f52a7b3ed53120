using System.Text.Json;
using Npgsql;
using Vidgate.Contracts;
using Vidgate.Server.Billing;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Data.Postgres;

/// <summary><see cref="IBillingStore"/> on PostgreSQL: accounts, tiers, prices, ledger and usage (the admin side of billing).</summary>
internal sealed class PostgresBillingStore(PostgresDatabase db, TimeProvider clock) : IBillingStore
{
    private const string AccountColumns = "id, name, tier_id, unmetered, balance, held, in_flight, created_at";
    private const string TierColumns = "id, price_multiplier, allowed_models, max_seconds, max_resolution, requests_per_minute, max_in_flight, updated_at";
    private const string SelectAccountSql = $"SELECT {AccountColumns} FROM accounts WHERE id = @id;";

    public Task<Idempotency.Entry?> FindIdempotencyAsync(string accountId, string key, CancellationToken ct) => db.ReadAsync(connection =>
        Pg.Command(connection, PostgresLedger.FindIdempotencySql).Bind("a", accountId).Bind("k", key).OneAsync(PostgresLedger.MapIdempotency, ct), ct);

    public Task<int> SweepIdempotencyAsync(DateTimeOffset olderThan, CancellationToken ct) => db.WriteAsync(connection =>
        Pg.Command(connection, "DELETE FROM idempotency_keys WHERE created_at < @before;").Bind("before", Pg.Ms(olderThan)).RowsAsync(ct), ct);

    public Task<Account?> CreateAccountAsync(string name, string tier, bool unmetered, CancellationToken ct) => db.WriteAsync(async connection =>
    {
        if (!await TierExistsAsync(connection, tier, ct))
        {
            return null;
        }

        return await Pg.Command(connection, $"""
            INSERT INTO accounts (id, name, created_at, tier_id, unmetered) VALUES (@id, @name, @now, @tier, @unmetered)
            RETURNING {AccountColumns};
            """).Bind("id", "acct_" + Guid.CreateVersion7().ToString("N")).Bind("name", name).Bind("now", Pg.Ms(clock.GetUtcNow()))
            .Bind("tier", tier).Bind("unmetered", unmetered).OneAsync(MapAccount, ct);
    }, ct);

    public Task<(Account? Account, bool TierMissing)> UpdateAccountAsync(string id, string? name, string? tier, bool? unmetered, CancellationToken ct)
        => db.WriteAsync(async connection =>
        {
            if (tier is not null && !await TierExistsAsync(connection, tier, ct))
            {
                return (null, true);
            }

            return (await Pg.Command(connection, $"""
                UPDATE accounts SET name = COALESCE(@name::text, name), tier_id = COALESCE(@tier::text, tier_id),
                                    unmetered = COALESCE(@unmetered::boolean, unmetered)
                 WHERE id = @id RETURNING {AccountColumns};
                """).Bind("id", id).Bind("name", name).Bind("tier", tier).Bind("unmetered", unmetered).OneAsync(MapAccount, ct), false);
        }, ct);

    public Task<Account?> GetAccountAsync(string id, CancellationToken ct) => db.ReadAsync(connection =>
        Pg.Command(connection, SelectAccountSql).Bind("id", id).OneAsync(MapAccount, ct), ct);

    public Task<HoldClosed?> ClosedHoldAsync(string taskId, CancellationToken ct) => db.ReadAsync(connection =>
        Pg.Command(connection, "SELECT amount, COALESCE(charged, 0) FROM holds WHERE task_id = @t AND state <> 'held';").Bind("t", taskId)
            .RowAsync(static r => new HoldClosed(r.GetInt64(1), r.GetInt64(0) - r.GetInt64(1)), ct), ct);

    public Task<IReadOnlyList<Account>> ListAccountsAsync(CancellationToken ct) => db.ReadAsync(async connection =>
        (IReadOnlyList<Account>)await Pg.Command(connection, $"SELECT {AccountColumns} FROM accounts ORDER BY id;").AllAsync(MapAccount, ct), ct);

    // One statement, so one snapshot: the running balance and the one recomputed from the ledger are read together.
    public Task<(Account Account, long LedgerBalance)?> GetAccountWithLedgerAsync(string id, CancellationToken ct) => db.ReadAsync(connection =>
        Pg.Command(connection, $"""
            SELECT {AccountColumns},
                   ((SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE account_id = accounts.id)
                  - (SELECT COALESCE(SUM(amount), 0) FROM holds WHERE account_id = accounts.id AND state = 'held'))::bigint
              FROM accounts WHERE id = @id;
            """).Bind("id", id).RowAsync(static r => (MapAccount(r), r.GetInt64(8)), ct), ct);

    public Task<(BalanceChange Result, Account? Account)> ChangeBalanceAsync(string accountId, string kind, long amount, string reason, CancellationToken ct)
        => db.WriteAsync(async connection =>
        {
            // FOR UPDATE: no hold can take the balance between this check and the change.
            var account = await Pg.Command(connection, $"SELECT {AccountColumns} FROM accounts WHERE id = @id FOR UPDATE;").Bind("id", accountId).OneAsync(MapAccount, ct);
            if (account is null)
            {
                return (BalanceChange.NoAccount, (Account?)null);
            }

            if (!account.Unmetered && account.Balance + amount < 0)
            {
                return (BalanceChange.WouldGoNegative, account);
            }

            await PostgresLedger.CreditAsync(connection, accountId, kind, amount, reason, clock.GetUtcNow(), ct);
            return (BalanceChange.Done, await Pg.Command(connection, SelectAccountSql).Bind("id", accountId).OneAsync(MapAccount, ct));
        }, ct);

    public Task<(IReadOnlyList<LedgerEntry> Page, bool HasMore)> LedgerAsync(string accountId, long after, int limit, CancellationToken ct) => db.ReadAsync(async connection =>
    {
        var entries = await Pg.Command(connection, """
            SELECT seq, account_id, kind, amount, task_id, reason, created_at FROM ledger
             WHERE account_id = @a AND seq > @after ORDER BY seq LIMIT @limit;
            """).Bind("a", accountId).Bind("after", after).Bind("limit", limit + 1)
            .AllAsync(static r => new LedgerEntry(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.TextOrNull(4), r.TextOrNull(5), r.Time(6)), ct);
        return entries.Count > limit ? ((IReadOnlyList<LedgerEntry>)[.. entries.Take(limit)], true) : (entries, false);
    }, ct);

    public Task<Tier> UpsertTierAsync(Tier tier, CancellationToken ct) => db.WriteAsync(async connection =>
        (await Pg.Command(connection, $"""
            INSERT INTO tiers ({TierColumns}) VALUES (@id, @mul, @models, @secs, @res, @rpm, @flight, @now)
            ON CONFLICT (id) DO UPDATE SET price_multiplier = excluded.price_multiplier, allowed_models = excluded.allowed_models,
                max_seconds = excluded.max_seconds, max_resolution = excluded.max_resolution,
                requests_per_minute = excluded.requests_per_minute, max_in_flight = excluded.max_in_flight, updated_at = excluded.updated_at
            RETURNING {TierColumns};
            """).Bind("id", tier.Id).Bind("mul", tier.PriceMultiplier)
            .Bind("models", tier.AllowedModels is null ? null : JsonSerializer.Serialize(tier.AllowedModels.ToArray(), StoreJson.Default.StringArray))
            .Bind("secs", tier.MaxSeconds).Bind("res", tier.MaxResolution).Bind("rpm", tier.RequestsPerMinute).Bind("flight", tier.MaxInFlight)
            .Bind("now", Pg.Ms(clock.GetUtcNow())).OneAsync(MapTier, ct))!, ct);

    public Task<IReadOnlyList<Tier>> ListTiersAsync(CancellationToken ct) => db.ReadAsync(async connection =>
        (IReadOnlyList<Tier>)await Pg.Command(connection, $"SELECT {TierColumns} FROM tiers ORDER BY id;").AllAsync(MapTier, ct), ct);

    public Task<IReadOnlyList<PriceRow>> PricesAsync(CancellationToken ct) => db.ReadAsync(async connection =>
        (IReadOnlyList<PriceRow>)await Pg.Command(connection, "SELECT model, resolution, per_second, per_image, updated_at FROM prices ORDER BY model, resolution;")
            .AllAsync(static r => new PriceRow(r.GetString(0), r.GetInt32(1), r.GetInt64(2), r.GetInt64(3), r.Time(4)), ct), ct);

    public Task UpsertPriceAsync(string model, int resolution, long perSecond, long perImage, CancellationToken ct) => db.WriteAsync(connection =>
        Pg.Command(connection, """
            INSERT INTO prices (model, resolution, per_second, per_image, updated_at) VALUES (@m, @r, @ps, @pi, @now)
            ON CONFLICT (model, resolution) DO UPDATE SET per_second = excluded.per_second, per_image = excluded.per_image,
                updated_at = excluded.updated_at;
            """).Bind("m", model).Bind("r", resolution).Bind("ps", perSecond).Bind("pi", perImage).Bind("now", Pg.Ms(clock.GetUtcNow()))
            .RowsAsync(ct), ct);

    public Task<bool> DeletePriceAsync(string model, int resolution, CancellationToken ct) => db.WriteAsync(connection =>
        Pg.Command(connection, "DELETE FROM prices WHERE model = @m AND resolution = @r;").Bind("m", model).Bind("r", resolution).ChangedAsync(ct), ct);

    /// <summary>
    /// Usage from the daily rollup (<c>usage_daily</c>, migration 0007), kept equal to the holds' aggregate by a trigger
    /// that runs at each commit changing a hold, as on SQLite.
    /// </summary>
    public Task<IReadOnlyList<UsageLine>> UsageAsync(UsageFilter filter, CancellationToken ct) => db.ReadAsync(async connection =>
        (IReadOnlyList<UsageLine>)await Pg.Command(connection, UsageSql)
            .Bind("a", filter.AccountId).Bind("k", filter.KeyId).Bind("m", filter.Model)
            .Bind("from", filter.From is { } f ? Day(f) : null).Bind("to", filter.To is { } t ? Day(t) : null)
            .AllAsync(static r =>
            {
                var row = new UsageRow(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt32(4), r.GetInt32(5), r.GetInt32(6),
                    r.GetInt32(7), r.GetInt32(8), r.GetInt32(9), r.GetInt64(10), r.GetInt64(11), r.GetInt64(12), r.GetInt64(13));
                var ticks = (Int128)r.GetInt64(14) * Money.UsdTicksPerDollar + r.GetInt64(15);
                return new UsageLine(row, new UpstreamCost(ticks, r.GetInt32(16)));
            }, ct), ct);

    // A group's shards summed (migration 0007); tasks > 0: a group whose holds were all deleted reads as no group, as the
    // aggregate of the holds would.
    private const string UsageSql = """
        SELECT account_id, key_id, model, day, SUM(tasks)::integer, SUM(completed)::integer, SUM(failed)::integer,
               SUM(cancelled)::integer, SUM(other)::integer, SUM(in_flight)::integer, SUM(seconds_generated)::bigint,
               SUM(charged)::bigint, SUM(refunded)::bigint, SUM(held)::bigint, SUM(cost_dollars)::bigint,
               SUM(cost_ticks)::bigint, SUM(cost_tasks)::integer
          FROM usage_daily
         WHERE (@a::text IS NULL OR account_id = @a::text) AND (@k::text IS NULL OR key_id = @k::text)
           AND (@m::text IS NULL OR model = @m::text)
           AND (@from::text IS NULL OR day >= @from::text) AND (@to::text IS NULL OR day <= @to::text)
         GROUP BY day, account_id, key_id, model
        HAVING SUM(tasks) > 0
         ORDER BY day, account_id, key_id, model;
        """;

    public Task<IReadOnlyList<MarginLine>> MarginAsync(UsageFilter filter, CancellationToken ct) => db.ReadAsync(async connection =>
        (IReadOnlyList<MarginLine>)await Pg.Command(connection, MarginSql)
            .Bind("a", filter.AccountId).Bind("m", filter.Model)
            .Bind("from", filter.From is { } f ? DayStart(f) : null).Bind("to", filter.To is { } t ? DayStart(t.AddDays(1)) : null)
            .AllAsync(static r => new MarginLine(
                r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetInt32(3), r.GetInt64(4), r.GetInt32(5), r.GetInt64(6),
                (Int128)r.GetInt64(7) * Money.UsdTicksPerDollar + r.GetInt64(8), r.GetInt32(9), r.GetInt64(10)), ct), ct);

    // Cost summed as whole dollars and leftover ticks (as in UsageSql), so no sum can overflow 64 bits.
    private const string MarginSql = """
        SELECT to_char(to_timestamp(h.created_at / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, h.model, COALESCE(j.provider_id, t.provider) AS provider,
               COUNT(*)::integer, COALESCE(SUM(h.charged), 0)::bigint,
               COUNT(h.upstream_cost_usd_ticks)::integer, COALESCE(SUM(CASE WHEN h.upstream_cost_usd_ticks IS NOT NULL THEN h.charged END), 0)::bigint,
               COALESCE(SUM(h.upstream_cost_usd_ticks / 10000000000), 0)::bigint, COALESCE(SUM(h.upstream_cost_usd_ticks % 10000000000), 0)::bigint,
               (COUNT(*) FILTER (WHERE h.upstream_cost_usd_ticks IS NULL AND h.charged > 0))::integer,
               COALESCE(SUM(CASE WHEN h.upstream_cost_usd_ticks IS NULL THEN h.charged END), 0)::bigint
          FROM holds h LEFT JOIN tasks t ON t.id = h.task_id LEFT JOIN upstream_jobs j ON j.task_id = h.task_id
         WHERE (@a::text IS NULL OR h.account_id = @a::text) AND (@m::text IS NULL OR h.model = @m::text)
           AND (@from::bigint IS NULL OR h.created_at >= @from::bigint) AND (@to::bigint IS NULL OR h.created_at < @to::bigint)
         GROUP BY 1, 2, 3
         ORDER BY 1, 2, 3;
        """;

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    private static long? DayStart(DateOnly day) => Pg.Ms(new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero));

    private static async Task<bool> TierExistsAsync(NpgsqlConnection connection, string tier, CancellationToken ct)
        => await Pg.Command(connection, "SELECT 1 FROM tiers WHERE id = @id;").Bind("id", tier).ScalarAsync(ct) is not null;

    private static Account MapAccount(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetBoolean(3), r.GetInt64(4), r.GetInt64(5), r.GetInt32(6), r.Time(7));

    private static Tier MapTier(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetInt64(1), r.IsDBNull(2) ? null : JsonSerializer.Deserialize(r.GetString(2), StoreJson.Default.StringArray),
        r.IntOrNull(3), r.IntOrNull(4), r.IntOrNull(5), r.IntOrNull(6), r.Time(7));
}
