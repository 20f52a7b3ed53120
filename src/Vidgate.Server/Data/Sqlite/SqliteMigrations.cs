using System.Reflection;
using Microsoft.Data.Sqlite;

namespace Vidgate.Server.Data.Sqlite;

/// <summary>
/// Numbered, embedded <c>.sql</c> files (<c>Data/Migrations/Sqlite</c>) applied in order at start-up, each in its own
/// transaction. The resource names (<c>Vidgate.Migrations.Sqlite.NNNN_*.sql</c>) and so the versions recorded in
/// <c>schema_version</c> do not depend on the folder the files live in. Commands here are one-offs (not kept): they run
/// on the start-up connection, inside transactions of their own.
/// </summary>
internal static partial class SqliteMigrations
{
    private const string Prefix = "Vidgate.Migrations.Sqlite.";

    public static void Apply(SqliteConnection connection, ILogger logger)
    {
        SqliteDatabase.Execute(connection, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);");
        var applied = AppliedVersions(connection);
        var assembly = Assembly.GetExecutingAssembly();
        var scripts = assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(Prefix, StringComparison.Ordinal))
            .Select(name => (Name: name, Version: int.Parse(name.AsSpan(Prefix.Length, 4))))
            .OrderBy(script => script.Version)
            .ToList();
        SchemaGuard.Check("SQLite", applied, [.. scripts.Select(s => s.Version)]);

        // Every missing version, not only those above the highest applied: branches that each added a migration may
        // have reached a database in either order.
        foreach (var (name, version) in scripts.Where(s => !applied.Contains(s.Version)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            using var transaction = connection.BeginTransaction();
            using (var command = connection.CreateCommand())
            {
                command.CommandText = reader.ReadToEnd();
                command.ExecuteNonQuery();
            }

            using (var command = connection.CreateCommand())
            {
                command.CommandText = "INSERT INTO schema_version (version, applied_at) VALUES ($v, unixepoch() * 1000);";
                command.Bind("$v", version).ExecuteNonQuery();
            }

            transaction.Commit();
            Log.Applied(logger, version);
        }
    }

    private static HashSet<int> AppliedVersions(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT version FROM schema_version;";
        using var reader = command.ExecuteReader();
        var versions = new HashSet<int>();
        while (reader.Read())
        {
            versions.Add(reader.GetInt32(0));
        }

        return versions;
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Applied database migration {Version}")]
        public static partial void Applied(ILogger logger, int version);
    }
}
