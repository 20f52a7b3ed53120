using Microsoft.Data.Sqlite;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Accounts;

internal sealed class SqliteKeyStore(SqliteDatabase db) : IKeyStore
{
    private const string Columns = "id, account_id, name, prefix, is_admin, created_at, revoked_at";

    public Task<ApiKeyRecord> CreateAsync(string name, byte[] secretHash, string prefix, bool isAdmin, DateTimeOffset now, CancellationToken ct)
    {
        var key = new ApiKeyRecord("key_" + Guid.CreateVersion7().ToString("N"), "acct_" + Guid.CreateVersion7().ToString("N"), name, prefix, isAdmin, now, null);
        return db.WriteAsync(connection =>
        {
            using var account = connection.CreateCommand();
            account.CommandText = "INSERT INTO accounts (id, name, created_at) VALUES ($id, $name, $now);";
            account.Parameters.AddWithValue("$id", key.AccountId);
            account.Parameters.AddWithValue("$name", name);
            account.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
            account.ExecuteNonQuery();

            using var insert = connection.CreateCommand();
            insert.CommandText = """
                INSERT INTO api_keys (id, account_id, name, secret_hash, prefix, is_admin, created_at)
                VALUES ($id, $account, $name, $hash, $prefix, $admin, $now);
                """;
            insert.Parameters.AddWithValue("$id", key.Id);
            insert.Parameters.AddWithValue("$account", key.AccountId);
            insert.Parameters.AddWithValue("$name", name);
            insert.Parameters.AddWithValue("$hash", secretHash);
            insert.Parameters.AddWithValue("$prefix", prefix);
            insert.Parameters.AddWithValue("$admin", isAdmin ? 1 : 0);
            insert.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
            insert.ExecuteNonQuery();
            return key;
        }, ct);
    }

    public Task<Caller?> FindActiveAsync(byte[] secretHash, CancellationToken ct) => db.ReadAsync(connection =>
    {
        var command = db.Prepared(connection, "SELECT id, account_id, is_admin FROM api_keys WHERE secret_hash = $hash AND revoked_at IS NULL;");
        command.Parameters.AddWithValue("$hash", secretHash);
        using var reader = command.ExecuteReader();
        return reader.Read() ? new Caller(reader.GetString(0), reader.GetString(1), reader.GetInt64(2) != 0) : null;
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

    private static ApiKeyRecord Map(SqliteDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt64(4) != 0,
        DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5)),
        r.IsDBNull(6) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6)));
}
