using System.Reflection;
using Microsoft.Data.Sqlite;

namespace Vidgate.Server.Tasks;

/// <summary>Numbered, embedded <c>.sql</c> files applied in order at start-up, each in its own transaction.</summary>
internal static partial class SqliteMigrations
{
    private const string Prefix = "Vidgate.Migrations.Sqlite.";

    public static void Apply(SqliteConnection connection, ILogger logger)
    {
        SqliteDatabase.Execute(connection, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);");
        var applied = CurrentVersion(connection);
        var assembly = Assembly.GetExecutingAssembly();
        var scripts = assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(Prefix, StringComparison.Ordinal))
            .Select(name => (Name: name, Version: int.Parse(name.AsSpan(Prefix.Length, 4))))
            .OrderBy(script => script.Version);

        foreach (var (name, version) in scripts.Where(s => s.Version > applied))
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
                command.Parameters.AddWithValue("$v", version);
                command.ExecuteNonQuery();
            }

            transaction.Commit();
            Log.Applied(logger, version);
        }
    }

    private static int CurrentVersion(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_version;";
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Applied database migration {Version}")]
        public static partial void Applied(ILogger logger, int version);
    }
}
