using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using Vidgate.Server.Accounts;
using Vidgate.Server.Billing;

namespace Vidgate.Server.Data.Postgres;

/// <summary><see cref="IKeyStore"/> on PostgreSQL (tables <c>accounts</c>, <c>api_keys</c>, <c>settings</c>).</summary>
internal sealed class PostgresKeyStore(PostgresDatabase db, IOptions<BillingOptions> billing) : IKeyStore
{
    private const string Columns = "id, account_id, name, prefix, is_admin, created_at, revoked_at, requests_per_minute, expires_at, allowed_models, allowed_ips";

    private const string InsertKeySql = $"""
        INSERT INTO api_keys (id, account_id, name, secret_hash, prefix, is_admin, created_at, requests_per_minute, expires_at, allowed_models, allowed_ips)
        VALUES (@id, @account, @name, @hash, @prefix, @admin, @now, @rpm, @expires, @models, @ips)
        RETURNING {Columns};
        """;

    public Task<ApiKeyRecord?> CreateAsync(NewKey spec, byte[] secretHash, string prefix, DateTimeOffset now, CancellationToken ct)
    {
        var ms = Pg.Ms(now);
        return db.WriteAsync(async connection =>
        {
            var accountId = spec.AccountId;
            if (accountId is null)
            {
                accountId = "acct_" + Guid.CreateVersion7().ToString("N");
                await Pg.Command(connection, """
                    INSERT INTO accounts (id, name, created_at, tier_id, unmetered)
                    VALUES (@id, @name, @now, CASE WHEN @admin THEN 'unlimited'
                                                   ELSE COALESCE((SELECT id FROM tiers WHERE id = @tier::text), 'default') END, @admin);
                    """).Bind("id", accountId).Bind("name", spec.Name).Bind("now", ms).Bind("admin", spec.IsAdmin)
                    .Bind("tier", billing.Value.NewAccountTier).RowsAsync(ct);
                if (!spec.IsAdmin && billing.Value.NewAccountCredit > 0)
                {
                    await PostgresLedger.CreditAsync(connection, accountId, "credit", billing.Value.NewAccountCredit, "initial credit", now, ct);
                }
            }
            else if (await Pg.Command(connection, "SELECT EXISTS (SELECT 1 FROM accounts WHERE id = @id);").Bind("id", accountId).ScalarAsync(ct) is not true)
            {
                return null;
            }

            return await Pg.Command(connection, InsertKeySql)
                .Bind("id", "key_" + Guid.CreateVersion7().ToString("N")).Bind("account", accountId).Bind("name", spec.Name)
                .Bind("hash", secretHash).Bind("prefix", prefix).Bind("admin", spec.IsAdmin).Bind("now", ms)
                .Bind("rpm", spec.RequestsPerMinute).Bind("expires", Pg.Ms(spec.ExpiresAt))
                .Bind("models", StoreJson.ListOrNull(spec.AllowedModels)).Bind("ips", StoreJson.ListOrNull(spec.AllowedIps))
                .OneAsync(Map, ct);
        }, ct);
    }

    private const string FindSql = """
        SELECT k.id, k.account_id, k.is_admin, k.requests_per_minute, k.expires_at, a.unmetered,
               t.id, t.price_multiplier, t.allowed_models, t.max_seconds, t.max_resolution, t.requests_per_minute, t.max_in_flight,
               k.allowed_models, k.allowed_ips
          FROM api_keys k JOIN accounts a ON a.id = k.account_id JOIN tiers t ON t.id = a.tier_id
         WHERE k.secret_hash = @hash AND k.revoked_at IS NULL;
        """;

    public Task<Caller?> FindActiveAsync(byte[] secretHash, CancellationToken ct) => db.ReadAsync(connection =>
        Pg.Command(connection, FindSql).Bind("hash", secretHash).OneAsync(static r =>
        {
            var keyRpm = r.IntOrNull(3);
            var tierRpm = r.IntOrNull(11);

            // A key narrows its tier, never widens it.
            var rpm = keyRpm is { } k && tierRpm is { } t ? Math.Min(k, t) : keyRpm ?? tierRpm;
            var models = KeyAccess.AllowedModels(Strings(r, 8), Strings(r, 13));
            var plan = new Plan(
                r.GetString(6), r.GetInt64(7), models,
                r.IntOrNull(9), r.IntOrNull(10), rpm, r.IntOrNull(12), Unmetered: r.GetBoolean(5));
            return new Caller(r.GetString(0), r.GetString(1), r.GetBoolean(2))
            {
                Plan = plan,
                ExpiresAt = r.TimeOrNull(4),
                AllowedIps = KeyAccess.Networks(Strings(r, 14)),
            };
        }, ct), ct);

    public Task<IReadOnlyList<ApiKeyRecord>> ListAsync(CancellationToken ct) => db.ReadAsync(async connection =>
        (IReadOnlyList<ApiKeyRecord>)await Pg.Command(connection, $"SELECT {Columns} FROM api_keys ORDER BY id;").AllAsync(Map, ct), ct);

    // Last use = the key's latest create, read from holds (one per task, kept for good): no write on the auth path.
    private const string AccountKeysSql = """
        SELECT k.id, k.account_id, k.name, k.prefix, k.is_admin, k.created_at, k.revoked_at, k.requests_per_minute, k.expires_at,
               k.allowed_models, k.allowed_ips,
               (SELECT MAX(h.created_at) FROM holds h WHERE h.account_id = k.account_id AND h.key_id = k.id)
          FROM api_keys k WHERE k.account_id = @account ORDER BY k.id;
        """;

    public Task<IReadOnlyList<AccountKey>> ListForAccountAsync(string accountId, CancellationToken ct) => db.ReadAsync(async connection =>
        (IReadOnlyList<AccountKey>)await Pg.Command(connection, AccountKeysSql).Bind("account", accountId)
            .AllAsync(static r => new AccountKey(Map(r), r.TimeOrNull(11)), ct), ct);

    public Task<ApiKeyRecord?> RevokeAsync(string id, DateTimeOffset now, CancellationToken ct) => db.WriteAsync(connection =>
        Pg.Command(connection, $"UPDATE api_keys SET revoked_at = COALESCE(revoked_at, @now) WHERE id = @id RETURNING {Columns};")
            .Bind("id", id).Bind("now", Pg.Ms(now)).OneAsync(Map, ct), ct);

    public Task<ApiKeyRecord?> UpdateAsync(string id, KeyPatch patch, CancellationToken ct) => db.WriteAsync(connection =>
        Pg.Command(connection, $"""
                UPDATE api_keys SET requests_per_minute = @rpm, expires_at = @expires,
                       allowed_models = CASE WHEN @setModels::boolean THEN @models::text ELSE allowed_models END,
                       allowed_ips = CASE WHEN @setIps::boolean THEN @ips::text ELSE allowed_ips END
                 WHERE id = @id RETURNING {Columns};
                """)
            .Bind("id", id).Bind("rpm", patch.RequestsPerMinute).Bind("expires", Pg.Ms(patch.ExpiresAt))
            .Bind("setModels", patch.AllowedModels is not null).Bind("models", StoreJson.ListOrNull(patch.AllowedModels?.Values))
            .Bind("setIps", patch.AllowedIps is not null).Bind("ips", StoreJson.ListOrNull(patch.AllowedIps?.Values)).OneAsync(Map, ct), ct);

    public Task<bool> AnyAsync(CancellationToken ct) => db.ReadAsync(async connection =>
        await Pg.Command(connection, "SELECT EXISTS (SELECT 1 FROM api_keys);").ScalarAsync(ct) is true, ct);

    public Task<string> GetOrCreateSettingAsync(string name, Func<string> create, CancellationToken ct) => db.WriteAsync(async connection =>
    {
        // ON CONFLICT DO NOTHING waits for a concurrent insert of the same name, so every node reads the one value kept.
        await Pg.Command(connection, "INSERT INTO settings (name, value) VALUES (@name, @value) ON CONFLICT (name) DO NOTHING;")
            .Bind("name", name).Bind("value", create()).RowsAsync(ct);
        return (string)(await Pg.Command(connection, "SELECT value FROM settings WHERE name = @name;").Bind("name", name).ScalarAsync(ct))!;
    }, ct);

    private static ApiKeyRecord Map(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetBoolean(4), r.Time(5), r.TimeOrNull(6))
    {
        RequestsPerMinute = r.IntOrNull(7),
        ExpiresAt = r.TimeOrNull(8),
        AllowedModels = Strings(r, 9),
        AllowedIps = Strings(r, 10),
    };

    private static string[]? Strings(NpgsqlDataReader r, int ordinal)
        => r.IsDBNull(ordinal) ? null : JsonSerializer.Deserialize(r.GetString(ordinal), StoreJson.Default.StringArray);

}
