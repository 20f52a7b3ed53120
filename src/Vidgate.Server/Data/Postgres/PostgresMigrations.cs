using System.Reflection;
using Npgsql;

namespace Vidgate.Server.Data.Postgres;

/// <summary>
/// Numbered, embedded <c>.sql</c> files (<c>Data/Migrations/Postgres</c>, resources <c>Vidgate.Migrations.Postgres.NNNN_*.sql</c>;
/// numbered apart from SQLite's) applied in order, each in its own transaction with its <c>schema_version</c> row.
/// All of it runs under a session advisory lock, so two nodes starting at once do not race: the second waits, then
/// finds every version applied.
/// </summary>
internal static partial class PostgresMigrations
{
    private const string Prefix = "Vidgate.Migrations.Postgres.";

    /// <summary>The advisory lock's key: "vidgate" in ASCII, so it is recognisable in pg_locks.</summary>
    private const long LockKey = 0x76696467617465;

    public static async Task ApplyAsync(NpgsqlConnection connection, ILogger logger, CancellationToken ct)
    {
        await Pg.Command(connection, "SELECT pg_advisory_lock(@key);").Bind("key", LockKey).RowsAsync(ct);
        try
        {
            await Pg.Command(connection, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL);").RowsAsync(ct);
            var applied = (await Pg.Command(connection, "SELECT version FROM schema_version;").AllAsync(static r => r.GetInt32(0), ct)).ToHashSet();
            var assembly = Assembly.GetExecutingAssembly();
            var scripts = assembly.GetManifestResourceNames()
                .Where(name => name.StartsWith(Prefix, StringComparison.Ordinal))
                .Select(name => (Name: name, Version: int.Parse(name.AsSpan(Prefix.Length, 4))))
                .OrderBy(script => script.Version)
                .ToList();
            SchemaGuard.Check("PostgreSQL", applied, [.. scripts.Select(s => s.Version)]);

            // Every missing version, not only those above the highest applied (as on SQLite).
            foreach (var (name, version) in scripts.Where(s => !applied.Contains(s.Version)))
            {
                string sql;
                await using (var stream = assembly.GetManifestResourceStream(name)!)
                using (var reader = new StreamReader(stream))
                {
                    sql = await reader.ReadToEndAsync(ct);
                }

                await using var transaction = await connection.BeginTransactionAsync(ct);
                await Pg.Command(connection, sql).RowsAsync(ct);
                await Pg.Command(connection, "INSERT INTO schema_version (version, applied_at) VALUES (@v, (extract(epoch FROM now()) * 1000)::bigint);")
                    .Bind("v", version).RowsAsync(ct);
                await transaction.CommitAsync(ct);
                Log.Applied(logger, version);
            }
        }
        finally
        {
            // Unlocked on the way out whatever happened; a connection that broke lost the lock with its session anyway.
            if (connection.State == System.Data.ConnectionState.Open)
            {
                await Pg.Command(connection, "SELECT pg_advisory_unlock(@key);").Bind("key", LockKey).RowsAsync(CancellationToken.None);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Applied PostgreSQL migration {Version}")]
        public static partial void Applied(ILogger logger, int version);
    }
}
