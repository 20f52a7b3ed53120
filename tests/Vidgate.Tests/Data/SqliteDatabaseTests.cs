using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Vidgate.Server.Data.Sqlite;

namespace Vidgate.Tests.Data;

/// <summary>
/// What only the SQLite engine promises beyond the contracts: writes waiting together share one commit, an acknowledged
/// write is in the files on disk, and the migrations keep the versions existing databases already recorded.
/// </summary>
public sealed class SqliteDatabaseTests : IDisposable
{
    private readonly SqliteEngine _engine = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Writes_waiting_at_the_same_moment_share_commits()
    {
        var before = _engine.Database.Generation;
        var tasks = Enumerable.Range(0, 300).Select(_ => StoreContract.NewTask()).ToList();
        await Task.WhenAll(tasks.Select(t => _engine.Tasks.InsertAsync(t, Ct)));

        // One generation per committed batch: 300 acknowledged inserts took fewer commits than inserts.
        var commits = _engine.Database.Generation - before;
        Assert.InRange(commits, 1, 299);
    }

    [Fact]
    public async Task An_acknowledged_write_is_in_the_files_a_crash_would_leave()
    {
        var tasks = Enumerable.Range(0, 50).Select(_ => StoreContract.NewTask()).ToList();
        await Task.WhenAll(tasks.Select(t => _engine.Tasks.InsertAsync(t, Ct)));

        // The files as they are now, with the writer still running (no checkpoint, no close): what kill -9 leaves.
        var copy = Directory.CreateTempSubdirectory("vidgate-crash-").FullName;
        try
        {
            foreach (var suffix in new[] { "", "-wal" })
            {
                var source = _engine.DatabasePath + suffix;
                if (File.Exists(source))
                {
                    using var from = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                    using var to = File.Create(Path.Combine(copy, "vidgate.db" + suffix));
                    await from.CopyToAsync(to, Ct);
                }
            }

            using var connection = new SqliteConnection($"Data Source={Path.Combine(copy, "vidgate.db")};Pooling=False");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM tasks;";
            Assert.Equal(50L, (long)command.ExecuteScalar()!);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public async Task A_restart_keeps_the_data_and_the_migration_versions_existing_databases_recorded()
    {
        var task = StoreContract.NewTask();
        await _engine.Tasks.InsertAsync(task, Ct);
        _engine.Database.Dispose();

        using var restarted = new SqliteDatabase(
            Options.Create(new VidgateOptions { DataDir = Path.GetDirectoryName(_engine.DatabasePath)! }), NullLogger<SqliteDatabase>.Instance);
        Assert.NotNull(await new SqliteTaskStore(restarted).GetAsync(task.Id, null, Ct));
        var versions = await restarted.ReadAsync(connection =>
            Sql.Command(connection, "SELECT version FROM schema_version ORDER BY version;").All(static r => r.GetInt32(0)), Ct);
        Assert.Equal([1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], versions); // 0008: dashboard sessions (#12); 0009: the model catalog and per-key limits (#15); 0010: upstream callbacks (#15); 0011: tasks by owner and status (#12); 0012: the daily usage rollup (#13); 0013: a task's end ends its job's tracking (#10)
    }

    public void Dispose() => _engine.Dispose();
}
