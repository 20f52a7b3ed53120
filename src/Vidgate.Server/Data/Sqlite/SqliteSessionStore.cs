using Vidgate.Server.Dashboard;

namespace Vidgate.Server.Data.Sqlite;

/// <summary><see cref="ISessionStore"/> on SQLite (table <c>dashboard_sessions</c>, joined to <c>api_keys</c>).</summary>
internal sealed class SqliteSessionStore(SqliteDatabase db) : ISessionStore
{
    public Task CreateAsync(NewSession session, CancellationToken ct) => db.WriteAsync(connection =>
    {
        // Ended sessions are kept a day (a sign-out shows as such in a support question), then dropped here, where writes already are.
        Sql.Command(connection, "DELETE FROM dashboard_sessions WHERE expires_at < $before;")
            .Bind("$before", Sql.Ms(session.CreatedAt.AddDays(-1))).ExecuteNonQuery();
        return Sql.Command(connection, """
            INSERT INTO dashboard_sessions (id_hash, key_id, csrf, created_at, expires_at) VALUES ($id, $key, $csrf, $now, $expires);
            """).Bind("$id", session.IdHash).Bind("$key", session.KeyId).Bind("$csrf", session.Csrf)
            .Bind("$now", Sql.Ms(session.CreatedAt)).Bind("$expires", Sql.Ms(session.ExpiresAt)).Changed();
    }, ct);

    public Task<ActiveSession?> FindAsync(byte[] idHash, DateTimeOffset now, CancellationToken ct) => db.ReadAsync(connection =>
        Sql.Command(connection, """
            SELECT s.key_id, k.secret_hash, s.csrf, s.expires_at
              FROM dashboard_sessions s JOIN api_keys k ON k.id = s.key_id
             WHERE s.id_hash = $id AND s.revoked_at IS NULL AND s.expires_at > $now AND k.revoked_at IS NULL;
            """).Bind("$id", idHash).Bind("$now", Sql.Ms(now))
            .One(static r => new ActiveSession(r.GetString(0), (byte[])r.GetValue(1), r.GetString(2), r.Time(3))), ct);

    public Task<bool> RevokeAsync(byte[] idHash, DateTimeOffset now, CancellationToken ct) => db.WriteAsync(connection =>
        Sql.Command(connection, "UPDATE dashboard_sessions SET revoked_at = $now WHERE id_hash = $id AND revoked_at IS NULL;")
            .Bind("$id", idHash).Bind("$now", Sql.Ms(now)).Changed(), ct);
}
