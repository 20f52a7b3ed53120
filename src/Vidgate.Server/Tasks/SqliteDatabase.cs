using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Vidgate.Server.Hosting;

namespace Vidgate.Server.Tasks;

/// <summary>
/// The embedded database: WAL mode, <c>synchronous=FULL</c> (a commit survives kill -9 and power loss).
/// All writes go through one writer thread that <b>group-commits</b>: operations waiting at the same moment share one
/// transaction and one fsync, each inside its own savepoint so one failing operation does not undo the others.
/// That is why a durable create here is cheaper than a naive one-INSERT-per-request endpoint. Reads use pooled
/// connections and never wait for the writer.
/// </summary>
internal sealed partial class SqliteDatabase : IDisposable
{
    private const int MaxBatch = 256;

    private readonly string _connectionString;
    private readonly Channel<IWrite> _writes = Channel.CreateUnbounded<IWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Thread _writer;
    private readonly ILogger<SqliteDatabase> _logger;

    public SqliteDatabase(IOptions<VidgateOptions> options, ILogger<SqliteDatabase> logger)
    {
        _logger = logger;
        var path = options.Value.DatabasePath;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();

        using (var connection = Open())
        {
            Execute(connection, "PRAGMA journal_mode = WAL;");
            SqliteMigrations.Apply(connection, logger);
        }

        _writer = new Thread(WriterLoop) { IsBackground = true, Name = "sqlite-writer" };
        _writer.Start();
    }

    /// <summary>Runs <paramref name="operation"/> in the writer's next committed batch; returns after the commit.</summary>
    public Task<T> WriteAsync<T>(Func<SqliteConnection, T> operation, CancellationToken ct = default)
    {
        var write = new Write<T>(operation);
        ObjectDisposedException.ThrowIf(!_writes.Writer.TryWrite(write), this);

        // The caller may stop waiting, but the write itself is not withdrawn: it either commits or it does not.
        return write.Completion.Task.WaitAsync(ct);
    }

    public async Task<T> ReadAsync<T>(Func<SqliteConnection, T> query, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        await Task.Yield();
        using var connection = Open();
        return query(connection);
    }

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, "PRAGMA synchronous = FULL; PRAGMA busy_timeout = 30000;");
        return connection;
    }

    public static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private void WriterLoop()
    {
        using var connection = Open();
        var batch = new List<IWrite>(MaxBatch);
        while (true)
        {
            batch.Clear();
            if (!_writes.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                return;
            }

            while (batch.Count < MaxBatch && _writes.Reader.TryRead(out var next))
            {
                batch.Add(next);
            }

            RunBatch(connection, batch);
        }
    }

    private void RunBatch(SqliteConnection connection, List<IWrite> batch)
    {
        try
        {
            Execute(connection, "BEGIN IMMEDIATE;");
            foreach (var write in batch)
            {
                Execute(connection, "SAVEPOINT op;");
                if (write.Run(connection))
                {
                    Execute(connection, "RELEASE op;");
                }
                else
                {
                    Execute(connection, "ROLLBACK TO op; RELEASE op;");
                }
            }

            Execute(connection, "COMMIT;");
        }
        catch (Exception ex)
        {
            Log.BatchFailed(_logger, batch.Count, ex);
            try
            {
                Execute(connection, "ROLLBACK;");
            }
            catch (SqliteException)
            {
                // Nothing was open; the failure above already said why.
            }

            foreach (var write in batch)
            {
                write.Abort(ex);
            }

            return;
        }

        foreach (var write in batch)
        {
            write.Publish();
        }
    }

    public void Dispose()
    {
        _writes.Writer.TryComplete();
        _writer.Join();
        SqliteConnection.ClearAllPools();
    }

    private interface IWrite
    {
        /// <summary>Runs inside the batch; false if it failed (its savepoint is rolled back).</summary>
        bool Run(SqliteConnection connection);

        /// <summary>After COMMIT: hand the result (or the operation's own error) to the waiting caller.</summary>
        void Publish();

        void Abort(Exception batchError);
    }

    private sealed class Write<T>(Func<SqliteConnection, T> operation) : IWrite
    {
        private T? _result;
        private Exception? _error;

        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Run(SqliteConnection connection)
        {
            try
            {
                _result = operation(connection);
                return true;
            }
            catch (Exception ex)
            {
                _error = ex;
                return false;
            }
        }

        public void Publish()
        {
            if (_error is null)
            {
                Completion.TrySetResult(_result!);
            }
            else
            {
                Completion.TrySetException(_error);
            }
        }

        public void Abort(Exception batchError) => Completion.TrySetException(_error ?? batchError);
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Error, Message = "A write batch of {Count} operations failed and was rolled back")]
        public static partial void BatchFailed(ILogger logger, int count, Exception exception);
    }
}
