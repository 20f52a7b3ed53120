using System.Security.Cryptography;
using Vidgate.Server.Accounts;
using Vidgate.Server.Dashboard;
using Vidgate.Server.Data.Postgres;
using Vidgate.Server.Data.Sqlite;
using Vidgate.Tests.Data;
using Vidgate.Tests.Data.Postgres;

namespace Vidgate.Tests.Dashboard;

/// <summary>
/// <see cref="ISessionStore"/> on both engines (real SQLite file, real PostgreSQL database): a session is found by the
/// hash of its cookie only, until it expires, is revoked, or its key is revoked; old ended sessions are dropped.
/// </summary>
public sealed class SessionStoreTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task A_session_lives_until_it_expires_is_revoked_or_its_key_is_revoked(string engineName)
    {
        using var engine = Open(engineName);
        var store = Store(engine);
        var keyHash = SHA256.HashData(RandomNumberGenerator.GetBytes(32));
        var key = (await engine.Keys.CreateAsync(new NewKey("alice", IsAdmin: false), keyHash, "vg_alice", Now, Ct))!;
        var (first, second, third) = (Id(), Id(), Id());
        await store.CreateAsync(new NewSession(first, key.Id, "token-1", Now, Now.AddHours(1)), Ct);
        await store.CreateAsync(new NewSession(second, key.Id, "token-2", Now, Now.AddHours(1)), Ct);

        var found = (await store.FindAsync(first, Now.AddMinutes(59), Ct))!;
        Assert.Equal((key.Id, "token-1", Now.AddHours(1)), (found.KeyId, found.Csrf, found.ExpiresAt));
        Assert.Equal(keyHash, found.KeySecretHash);
        Assert.Null(await store.FindAsync(first, Now.AddHours(1), Ct));
        Assert.Null(await store.FindAsync(Id(), Now, Ct));

        Assert.True(await store.RevokeAsync(second, Now, Ct));
        Assert.False(await store.RevokeAsync(second, Now, Ct));
        Assert.Null(await store.FindAsync(second, Now, Ct));
        Assert.NotNull(await store.FindAsync(first, Now, Ct));

        await engine.Keys.RevokeAsync(key.Id, Now, Ct);
        Assert.Null(await store.FindAsync(first, Now, Ct));

        // A day after the end, a new sign-in clears the old rows.
        await store.CreateAsync(new NewSession(third, key.Id, "token-3", Now.AddDays(2), Now.AddDays(3)), Ct);
        Assert.False(await store.RevokeAsync(first, Now, Ct));
    }

    private static byte[] Id() => SHA256.HashData(RandomNumberGenerator.GetBytes(32));

    private static StoreEngine Open(string name) => name == "postgres" ? new PostgresEngine() : new SqliteEngine();

    private static ISessionStore Store(StoreEngine engine) => engine switch
    {
        PostgresEngine pg => new PostgresSessionStore(pg.Database),
        SqliteEngine lite => new SqliteSessionStore(lite.Database),
        _ => throw new ArgumentOutOfRangeException(nameof(engine)),
    };
}
