using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Vidgate.Server.Billing;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Accounts;

internal sealed class SqliteKeyStore(SqliteDatabase db, IOptions<BillingOptions> billing) : IKeyStore
{
    private const string Columns = "id, account_id, name, prefix, is_admin, created_at, revoked_at, requests_per_minute, expires_at";

    public Task<ApiKeyRecord?> CreateAsync(NewKey spec, byte[] secretHash, string prefix, DateTimeOffset now, CancellationToken ct)
    {
        var ms = now.ToUnixTimeMilliseconds();
        return db.WriteAsync(connection =>
        {
            var accountId = spec.AccountId;
            if (accountId is null)
            {
                accountId = "acct_" + Guid.CreateVersion7().ToString("N");
                using var account = connection.CreateCommand();
                account.CommandText = """
                    INSERT INTO accounts (id, name, created_at, tier_id, unmetered)
                    VALUES ($id, $name, $now, CASE WHEN $admin = 1 THEN 'unlimited'
                                                   ELSE COALESCE((SELECT id FROM tiers WHERE id = $tier), 'default') END, $admin);
                    """;
                account.Parameters.AddWithValue("$id", accountId);
                account.Parameters.AddWithValue("$name", spec.Name);
                account.Parameters.AddWithValue("$now", ms);
                account.Parameters.AddWithValue("$admin", spec.IsAdmin ? 1 : 0);
                account.Parameters.AddWithValue("$tier", billing.Value.NewAccountTier);
                account.ExecuteNonQuery();
                if (!spec.IsAdmin && billing.Value.NewAccountCredit > 0)
                {
                    Ledger.Credit(connection, accountId, "credit", billing.Value.NewAccountCredit, "initial credit", now);
                }
            }
            else if (!Exists(connection, accountId))
            {
                return null;
            }

            using var insert = connection.CreateCommand();
            insert.CommandText = $"""
                INSERT INTO api_keys (id, account_id, name, secret_hash, prefix, is_admin, created_at, requests_per_minute, expires_at)
                VALUES ($id, $account, $name, $hash, $prefix, $admin, $now, $rpm, $expires)
                RETURNING {Columns};
                """;
            insert.Parameters.AddWithValue("$id", "key_" + Guid.CreateVersion7().ToString("N"));
            insert.Parameters.AddWithValue("$account", accountId);
            insert.Parameters.AddWithValue("$name", spec.Name);
            insert.Parameters.AddWithValue("$hash", secretHash);
            insert.Parameters.AddWithValue("$prefix", prefix);
            insert.Parameters.AddWithValue("$admin", spec.IsAdmin ? 1 : 0);
            insert.Parameters.AddWithValue("$now", ms);
            insert.Parameters.AddWithValue("$rpm", (object?)spec.RequestsPerMinute ?? DBNull.Value);
            insert.Parameters.AddWithValue("$expires", spec.ExpiresAt is { } e ? e.ToUnixTimeMilliseconds() : DBNull.Value);
            using var reader = insert.ExecuteReader();
            reader.Read();
            return (ApiKeyRecord?)Map(reader);
        }, ct);
    }

    private const string FindSql = """
        SELECT k.id, k.account_id, k.is_admin, k.requests_per_minute, k.expires_at, a.unmetered,
               t.id, t.price_multiplier, t.allowed_models, t.max_seconds, t.max_resolution, t.requests_per_minute, t.max_in_flight
          FROM api_keys k JOIN accounts a ON a.id = k.account_id JOIN tiers t ON t.id = a.tier_id
         WHERE k.secret_hash = $hash AND k.revoked_at IS NULL;
        """;

    public Task<Caller?> FindActiveAsync(byte[] secretHash, CancellationToken ct) => db.ReadAsync(connection =>
    {
        var command = SqliteDatabase.Prepared(connection, FindSql);
        command.Parameters.AddWithValue("$hash", secretHash);
        using var r = command.ExecuteReader();
        if (!r.Read())
        {
            return null;
        }

        var keyRpm = Int(r, 3);
        var tierRpm = Int(r, 11);

        // A key narrows its tier, never widens it.
        var rpm = keyRpm is { } k && tierRpm is { } t ? Math.Min(k, t) : keyRpm ?? tierRpm;
        var models = r.IsDBNull(8) ? null : JsonSerializer.Deserialize(r.GetString(8), StoreJson.Default.StringArray);
        var plan = new Plan(
            r.GetString(6), r.GetInt64(7), models is null ? null : new HashSet<string>(models, StringComparer.Ordinal),
            Int(r, 9), Int(r, 10), rpm, Int(r, 12), Unmetered: r.GetInt64(5) != 0);
        return new Caller(r.GetString(0), r.GetString(1), r.GetInt64(2) != 0)
        {
            Plan = plan,
            ExpiresAt = r.IsDBNull(4) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4)),
        };
    }, ct);

    public Task<IReadOnlyList<ApiKeyRecord>> ListAsync(CancellationToken ct) => db.ReadAsync(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM api_keys ORDER BY id;";
        using var reader = command.ExecuteReader();
        var keys = new List<ApiKeyRecord>();
        while (reader.Read())
        {
            keys.Add(Map(reader));
        }

        return (IReadOnlyList<ApiKeyRecord>)keys;
    }, ct);

    public Task<ApiKeyRecord?> RevokeAsync(string id, DateTimeOffset now, CancellationToken ct) => db.WriteAsync(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $now) WHERE id = $id RETURNING {Columns};
            """;
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        using var reader = command.ExecuteReader();
        return reader.Read() ? Map(reader) : null;
    }, ct);

    public Task<ApiKeyRecord?> UpdateLimitsAsync(string id, int? requestsPerMinute, DateTimeOffset? expiresAt, CancellationToken ct) => db.WriteAsync(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            UPDATE api_keys SET requests_per_minute = $rpm, expires_at = $expires WHERE id = $id RETURNING {Columns};
            """;
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$rpm", (object?)requestsPerMinute ?? DBNull.Value);
        command.Parameters.AddWithValue("$expires", expiresAt is { } e ? e.ToUnixTimeMilliseconds() : DBNull.Value);
        using var reader = command.ExecuteReader();
        return reader.Read() ? Map(reader) : null;
    }, ct);

    public Task<bool> AnyAsync(CancellationToken ct) => db.ReadAsync(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT EXISTS (SELECT 1 FROM api_keys);";
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) != 0;
    }, ct);

    public Task<string> GetOrCreateSettingAsync(string name, Func<string> create, CancellationToken ct) => db.WriteAsync(connection =>
    {
        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO settings (name, value) VALUES ($name, $value) ON CONFLICT (name) DO NOTHING;";
        insert.Parameters.AddWithValue("$name", name);
        insert.Parameters.AddWithValue("$value", create());
        insert.ExecuteNonQuery();

        using var select = connection.CreateCommand();
        select.CommandText = "SELECT value FROM settings WHERE name = $name;";
        select.Parameters.AddWithValue("$name", name);
        return (string)select.ExecuteScalar()!;
    }, ct);

    private static bool Exists(SqliteConnection connection, string accountId)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $id);";
        command.Parameters.AddWithValue("$id", accountId);
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) != 0;
    }

    private static int? Int(SqliteDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : r.GetInt32(ordinal);

    private static ApiKeyRecord Map(SqliteDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt64(4) != 0,
        DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5)),
        r.IsDBNull(6) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6)))
    {
        RequestsPerMinute = Int(r, 7),
        ExpiresAt = r.IsDBNull(8) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(8)),
    };
}
