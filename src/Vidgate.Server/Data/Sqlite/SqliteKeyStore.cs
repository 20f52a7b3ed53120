using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Vidgate.Server.Accounts;
using Vidgate.Server.Billing;

namespace Vidgate.Server.Data.Sqlite;

/// <summary><see cref="IKeyStore"/> on SQLite (tables <c>accounts</c>, <c>api_keys</c>, <c>settings</c>).</summary>
internal sealed class SqliteKeyStore(SqliteDatabase db, IOptions<BillingOptions> billing) : IKeyStore
{
    private const string Columns = "id, account_id, name, prefix, is_admin, created_at, revoked_at, requests_per_minute, expires_at, allowed_models, allowed_ips";

    private const string InsertKeySql = $"""
        INSERT INTO api_keys (id, account_id, name, secret_hash, prefix, is_admin, created_at, requests_per_minute, expires_at, allowed_models, allowed_ips)
        VALUES ($id, $account, $name, $hash, $prefix, $admin, $now, $rpm, $expires, $models, $ips)
        RETURNING {Columns};
        """;

    public Task<ApiKeyRecord?> CreateAsync(NewKey spec, byte[] secretHash, string prefix, DateTimeOffset now, CancellationToken ct)
    {
        var ms = Sql.Ms(now);
        return db.WriteAsync(connection =>
        {
            var accountId = spec.AccountId;
            if (accountId is null)
            {
                accountId = "acct_" + Guid.CreateVersion7().ToString("N");
                Sql.Command(connection, """
                    INSERT INTO accounts (id, name, created_at, tier_id, unmetered)
                    VALUES ($id, $name, $now, CASE WHEN $admin = 1 THEN 'unlimited'
                                                   ELSE COALESCE((SELECT id FROM tiers WHERE id = $tier), 'default') END, $admin);
                    """).Bind("$id", accountId).Bind("$name", spec.Name).Bind("$now", ms).Bind("$admin", Sql.Flag(spec.IsAdmin))
                    .Bind("$tier", billing.Value.NewAccountTier).ExecuteNonQuery();
                if (!spec.IsAdmin && billing.Value.NewAccountCredit > 0)
                {
                    SqliteLedger.Credit(connection, accountId, "credit", billing.Value.NewAccountCredit, "initial credit", now);
                }
            }
            else if (Sql.Command(connection, "SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $id);").Bind("$id", accountId).Scalar() == 0)
            {
                return null;
            }

            return Sql.Command(connection, InsertKeySql)
                .Bind("$id", "key_" + Guid.CreateVersion7().ToString("N")).Bind("$account", accountId).Bind("$name", spec.Name)
                .Bind("$hash", secretHash).Bind("$prefix", prefix).Bind("$admin", Sql.Flag(spec.IsAdmin)).Bind("$now", ms)
                .Bind("$rpm", spec.RequestsPerMinute).Bind("$expires", Sql.Ms(spec.ExpiresAt))
                .Bind("$models", StoreJson.ListOrNull(spec.AllowedModels)).Bind("$ips", StoreJson.ListOrNull(spec.AllowedIps))
                .One(Map);
        }, ct);
    }

    private const string FindSql = """
        SELECT k.id, k.account_id, k.is_admin, k.requests_per_minute, k.expires_at, a.unmetered,
               t.id, t.price_multiplier, t.allowed_models, t.max_seconds, t.max_resolution, t.requests_per_minute, t.max_in_flight,
               k.allowed_models, k.allowed_ips
          FROM api_keys k JOIN accounts a ON a.id = k.account_id JOIN tiers t ON t.id = a.tier_id
         WHERE k.secret_hash = $hash AND k.revoked_at IS NULL;
        """;

    public Task<Caller?> FindActiveAsync(byte[] secretHash, CancellationToken ct) => db.ReadAsync(connection =>
        Sql.Command(connection, FindSql).Bind("$hash", secretHash).One(static r =>
        {
            var keyRpm = r.IntOrNull(3);
            var tierRpm = r.IntOrNull(11);

            // A key narrows its tier, never widens it.
            var rpm = keyRpm is { } k && tierRpm is { } t ? Math.Min(k, t) : keyRpm ?? tierRpm;
            var models = KeyAccess.AllowedModels(Strings(r, 8), Strings(r, 13));
            var plan = new Plan(
                r.GetString(6), r.GetInt64(7), models,
                r.IntOrNull(9), r.IntOrNull(10), rpm, r.IntOrNull(12), Unmetered: r.GetInt64(5) != 0);
            return new Caller(r.GetString(0), r.GetString(1), r.GetInt64(2) != 0)
            {
                Plan = plan,
                ExpiresAt = r.TimeOrNull(4),
                AllowedIps = KeyAccess.Networks(Strings(r, 14)),
            };
        }), ct);

    public Task<IReadOnlyList<ApiKeyRecord>> ListAsync(CancellationToken ct) => db.ReadAsync(connection =>
        (IReadOnlyList<ApiKeyRecord>)Sql.Command(connection, $"SELECT {Columns} FROM api_keys ORDER BY id;").All(Map), ct);

    // Last use = the key's latest create, read from holds (one per task, kept for good): no write on the auth path.
    private const string AccountKeysSql = """
        SELECT k.id, k.account_id, k.name, k.prefix, k.is_admin, k.created_at, k.revoked_at, k.requests_per_minute, k.expires_at,
               k.allowed_models, k.allowed_ips,
               (SELECT MAX(h.created_at) FROM holds h WHERE h.account_id = k.account_id AND h.key_id = k.id)
          FROM api_keys k WHERE k.account_id = $account ORDER BY k.id;
        """;

    public Task<IReadOnlyList<AccountKey>> ListForAccountAsync(string accountId, CancellationToken ct) => db.ReadAsync(connection =>
        (IReadOnlyList<AccountKey>)Sql.Command(connection, AccountKeysSql).Bind("$account", accountId)
            .All(static r => new AccountKey(Map(r), r.TimeOrNull(11))), ct);

    public Task<ApiKeyRecord?> RevokeAsync(string id, DateTimeOffset now, CancellationToken ct) => db.WriteAsync(connection =>
        Sql.Command(connection, $"UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $now) WHERE id = $id RETURNING {Columns};")
            .Bind("$id", id).Bind("$now", Sql.Ms(now)).One(Map), ct);

    public Task<ApiKeyRecord?> UpdateAsync(string id, KeyPatch patch, CancellationToken ct) => db.WriteAsync(connection =>
        Sql.Command(connection, $"""
                UPDATE api_keys SET requests_per_minute = $rpm, expires_at = $expires,
                       allowed_models = CASE WHEN $setModels = 1 THEN $models ELSE allowed_models END,
                       allowed_ips = CASE WHEN $setIps = 1 THEN $ips ELSE allowed_ips END
                 WHERE id = $id RETURNING {Columns};
                """)
            .Bind("$id", id).Bind("$rpm", patch.RequestsPerMinute).Bind("$expires", Sql.Ms(patch.ExpiresAt))
            .Bind("$setModels", Sql.Flag(patch.AllowedModels is not null)).Bind("$models", StoreJson.ListOrNull(patch.AllowedModels?.Values))
            .Bind("$setIps", Sql.Flag(patch.AllowedIps is not null)).Bind("$ips", StoreJson.ListOrNull(patch.AllowedIps?.Values)).One(Map), ct);

    public Task<bool> AnyAsync(CancellationToken ct) => db.ReadAsync(connection =>
        Sql.Command(connection, "SELECT EXISTS (SELECT 1 FROM api_keys);").Scalar() != 0, ct);

    public Task<string> GetOrCreateSettingAsync(string name, Func<string> create, CancellationToken ct) => db.WriteAsync(connection =>
    {
        Sql.Command(connection, "INSERT INTO settings (name, value) VALUES ($name, $value) ON CONFLICT (name) DO NOTHING;")
            .Bind("$name", name).Bind("$value", create()).ExecuteNonQuery();
        return (string)Sql.Command(connection, "SELECT value FROM settings WHERE name = $name;").Bind("$name", name).ExecuteScalar()!;
    }, ct);

    private static ApiKeyRecord Map(SqliteDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt64(4) != 0, r.Time(5), r.TimeOrNull(6))
    {
        RequestsPerMinute = r.IntOrNull(7),
        ExpiresAt = r.TimeOrNull(8),
        AllowedModels = Strings(r, 9),
        AllowedIps = Strings(r, 10),
    };

    private static string[]? Strings(SqliteDataReader r, int ordinal)
        => r.IsDBNull(ordinal) ? null : JsonSerializer.Deserialize(r.GetString(ordinal), StoreJson.Default.StringArray);

}
