namespace Vidgate.Server.Dashboard;

/// <summary>
/// A new dashboard session: only the SHA-256 of its cookie value is stored, so a copy of the database opens no browser
/// session; the anti-forgery token is not a secret from the page (it reads it), only from other sites.
/// </summary>
internal sealed record NewSession(byte[] IdHash, string KeyId, string Csrf, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);

/// <summary>A live session as read back: the key it was opened with (by the key's own stored hash), its token and end.</summary>
internal sealed record ActiveSession(string KeyId, byte[] KeySecretHash, string Csrf, DateTimeOffset ExpiresAt);

/// <summary>Dashboard sessions (table <c>dashboard_sessions</c>), on the same engine as the keys, so every node sees a sign-out.</summary>
internal interface ISessionStore
{
    /// <summary>Stores a session and drops the ones that ended long ago.</summary>
    Task CreateAsync(NewSession session, CancellationToken ct);

    /// <summary>The session if it is unrevoked, unexpired at <paramref name="now"/>, and its key is unrevoked; else null.</summary>
    Task<ActiveSession?> FindAsync(byte[] idHash, DateTimeOffset now, CancellationToken ct);

    /// <summary>Ends a session; false if there was no live one.</summary>
    Task<bool> RevokeAsync(byte[] idHash, DateTimeOffset now, CancellationToken ct);
}
