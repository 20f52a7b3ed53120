using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Vidgate.Server.Data.Sqlite;

/// <summary>
/// The embedded database: WAL mode, <c>synchronous=FULL</c> (a commit survives kill -9 and power loss).
/// All writes go through one writer thread that <b>group-commits</b>: operations waiting at the same moment share one
/// transaction and one fsync, each inside its own savepoint so one failing operation does not undo the others.
/// That is why a durable create here is cheaper than a naive one-INSERT-per-request endpoint. Reads run on a small
/// pool of open reader connections (WAL: they never wait for the writer) with their prepared statements kept
/// (<see cref="Sql.Command"/>), so a poll costs one indexed lookup and no SQL parsing.
/// </summary>
internal sealed partial class SqliteDatabase : IDisposable
{
    private const int MaxBatch = 256;
    private const int MaxIdleReaders = 32;

    private long _generation;
    private readonly string _connectionString;
    private readonly Channel<IWrite> _writes = Channel.CreateUnbounded<IWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Thread _writer;
    private readonly ILogger<SqliteDatabase> _logger;
    private readonly ConcurrentBag<SqliteConnection> _readers = [];

    public SqliteDatabase(IOptions<VidgateOptions> options, ILogger<SqliteDatabase> logger)
    {
        _logger = logger;
        var path = options.Value.DatabasePath;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            DefaultTimeout = 30,

            // Readers and the writer hold their connections open themselves; no second pool underneath.
            Pooling = false,
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

    /// <summary>
    /// Runs a read on an open reader connection. Synchronous inside: an indexed SQLite read takes microseconds, less
    /// than a thread hop would.
    /// </summary>
    public Task<T> ReadAsync<T>(Func<SqliteConnection, T> query, CancellationToken ct = default)
    {
        if (ct.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(ct);
        }

        var connection = _readers.TryTake(out var idle) ? idle : Open();
        try
        {
            return Task.FromResult(query(connection));
        }
        catch (Exception ex)
        {
            // A failed read may leave the connection mid-statement: do not reuse it.
            connection.Dispose();
            connection = null;
            return Task.FromException<T>(ex);
        }
        finally
        {
            if (connection is not null)
            {
                if (_readers.Count < MaxIdleReaders)
                {
                    _readers.Add(connection);
                }
                else
                {
                    connection.Dispose();
                }
            }
        }
    }

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, "PRAGMA synchronous = FULL; PRAGMA busy_timeout = 30000;");

        // SQLite's lower() folds ASCII only; searches fold with .NET's invariant culture on both sides.
        connection.CreateFunction("vg_fold", (string? text) => text is null ? null : Fold(text), isDeterministic: true);
        return connection;
    }

    /// <summary>Case folding for searches (<c>vg_fold</c> in SQL): the invariant culture's lower case.</summary>
    public static string Fold(string text) => text.ToLowerInvariant();

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

    /// <summary>
    /// Bumped after every write batch (committed or rolled back), before any of its callers hears back. A read taken
    /// while the generation was g is still current as long as it is g: this process is the database's only writer
    /// (one server per data folder), so nothing else can change a row in between.
    /// </summary>
    public long Generation => Interlocked.Read(ref _generation);

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

            Interlocked.Increment(ref _generation);
            foreach (var write in batch)
            {
                write.Abort(ex);
            }

            return;
        }

        Interlocked.Increment(ref _generation);
        foreach (var write in batch)
        {
            write.Publish();
        }
    }

    public void Dispose()
    {
        _writes.Writer.TryComplete();
        _writer.Join();
        while (_readers.TryTake(out var reader))
        {
            reader.Dispose();
        }
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
