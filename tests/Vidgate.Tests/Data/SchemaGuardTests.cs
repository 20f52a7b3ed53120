using Microsoft.Data.Sqlite;
using Npgsql;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Data;

/// <summary>
/// A node older than the database it is pointed at (a newer Vidgate migrated it) must not run on tables it does not
/// know: it refuses at start with one line that says what happened and what to do, on both engines, and changes
/// nothing in the database.
/// </summary>
public sealed class SchemaGuardTests
{
    private const int FutureVersion = 9999;

    [Fact]
    public async Task A_sqlite_file_migrated_by_a_newer_vidgate_is_refused_at_start_with_one_line()
    {
        var data = Directory.CreateTempSubdirectory("vidgate-schema-").FullName;
        try
        {
            var file = Path.Combine(data, "vidgate.db");
            using (var connection = new SqliteConnection($"Data Source={file};Pooling=false"))
            {
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = $"""
                    CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);
                    INSERT INTO schema_version VALUES (1, 0), ({FutureVersion}, 0);
                    """;
                command.ExecuteNonQuery();
            }

            var (exitCode, output) = await ServerProcess.RunToExitAsync(data, TimeSpan.FromSeconds(60));

            AssertRefused(exitCode, output, "SQLite");
            using (var connection = new SqliteConnection($"Data Source={file};Pooling=false"))
            {
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'tasks';";
                Assert.Equal(0L, (long)command.ExecuteScalar()!); // nothing was migrated
            }
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task A_postgres_database_migrated_by_a_newer_vidgate_is_refused_at_start_with_one_line()
    {
        var database = PostgresServer.Instance.CreateEmptyDatabase();
        var data = Directory.CreateTempSubdirectory("vidgate-schema-pg-").FullName;
        try
        {
            var connectionString = PostgresServer.Instance.ConnectionString(database);
            await using (var connection = new NpgsqlConnection(connectionString))
            {
                await connection.OpenAsync(TestContext.Current.CancellationToken);
                await using var command = new NpgsqlCommand(
                    $"CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL); INSERT INTO schema_version VALUES ({FutureVersion}, 0);",
                    connection);
                await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
            }

            var (exitCode, output) = await ServerProcess.RunToExitAsync(
                data, TimeSpan.FromSeconds(60), "--Vidgate:Database:Provider=postgres", $"--ConnectionStrings:Vidgate={connectionString}");

            AssertRefused(exitCode, output, "PostgreSQL");
            await using (var connection = new NpgsqlConnection(connectionString))
            {
                await connection.OpenAsync(TestContext.Current.CancellationToken);
                await using var command = new NpgsqlCommand("SELECT to_regclass('public.tasks') IS NULL;", connection);
                Assert.True((bool)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!); // nothing was migrated
            }
        }
        finally
        {
            PostgresServer.Instance.DropDatabase(database);
            Directory.Delete(data, recursive: true);
        }
    }

    private static void AssertRefused(int exitCode, string output, string engine)
    {
        Assert.Equal(1, exitCode);
        var line = Assert.Single(output.Split('\n'), l => l.Contains("Vidgate cannot start", StringComparison.Ordinal));
        Assert.Contains($"the {engine} database has schema version {FutureVersion}", line, StringComparison.Ordinal);
        Assert.Contains("a newer Vidgate migrated it", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal); // no stack trace
    }
}
