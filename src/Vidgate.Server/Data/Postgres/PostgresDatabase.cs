using Npgsql;

namespace Vidgate.Server.Data.Postgres;

/// <summary>
/// A PostgreSQL database shared by any number of Vidgate nodes, through one <see cref="NpgsqlDataSource"/> (Npgsql's
/// pool) per process. Unlike SQLite there is no single writer: each write is its own READ COMMITTED transaction on a
/// pooled connection, and what makes concurrent writers from several nodes safe is the SQL itself (conditional
/// updates, which PostgreSQL re-checks on the newest row after waiting for its lock, and <c>FOR UPDATE SKIP LOCKED</c>
/// claims). Statements used at least a few times are prepared automatically on each connection (<c>Max Auto Prepare</c>,
/// unless the connection string says otherwise).
/// </summary>
internal sealed partial class PostgresDatabase : IDisposable
{
    /// <summary>Deadlocks and serialization failures are retried: the write is rolled back whole, so running it again is safe.</summary>
    private const int MaxAttempts = 3;

    private readonly NpgsqlDataSource? _dataSource;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _migrating = new(1, 1);
    private volatile bool _migrated;

    private PostgresDatabase(NpgsqlDataSource? dataSource, string? problem, string where, ILogger logger)
        => (_dataSource, Problem, Where, _logger) = (dataSource, problem, where, logger);

    /// <summary>What is wrong with the configuration itself (no connection string, or one Npgsql cannot read); null if nothing.</summary>
    public string? Problem { get; }

    /// <summary>Host, port and database of the connection string (never its password), for messages.</summary>
    public string Where { get; }

    /// <summary>From <c>ConnectionStrings:Vidgate</c>. Never throws: a missing or malformed string is <see cref="Problem"/>.</summary>
    public static PostgresDatabase Create(string? connectionString, ILogger logger)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return new(null, "Vidgate:Database:Provider is postgres but ConnectionStrings:Vidgate is not set", "(no connection string)", logger);
        }

        NpgsqlDataSourceBuilder builder;
        try
        {
            builder = new NpgsqlDataSourceBuilder(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException)
        {
            return new(null, $"ConnectionStrings:Vidgate is not a valid Npgsql connection string ({OneLine(ex.Message)})", "(invalid connection string)", logger);
        }

        var settings = builder.ConnectionStringBuilder;
        if (settings.MaxAutoPrepare == 0)
        {
            settings.MaxAutoPrepare = 64;
        }

        settings.ApplicationName ??= "vidgate";
        var where = $"{settings.Host ?? "localhost"}:{settings.Port}/{settings.Database ?? settings.Username ?? "(default)"}";
        return new(builder.Build(), null, where, logger);
    }

    public async Task<NpgsqlConnection> OpenAsync(CancellationToken ct)
    {
        if (_dataSource is null)
        {
            throw new InvalidOperationException(Problem);
        }

        return await _dataSource.OpenConnectionAsync(ct);
    }

    /// <summary>Runs <paramref name="query"/> on a pooled connection, outside any explicit transaction.</summary>
    public async Task<T> ReadAsync<T>(Func<NpgsqlConnection, Task<T>> query, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return await query(connection);
    }

    /// <summary>
    /// Runs <paramref name="operation"/> in one transaction and commits it; an exception rolls all of it back. Commands
    /// made on the connection take part in the transaction (Npgsql has one per connection).
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<NpgsqlConnection, Task<T>> operation, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var connection = await OpenAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            try
            {
                var result = await operation(connection);
                await transaction.CommitAsync(ct);
                return result;
            }
            catch (PostgresException ex) when (attempt < MaxAttempts && ex.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure)
            {
                Log.Retrying(_logger, ex.SqlState, attempt);
            }
        }
    }

    /// <summary>
    /// Applies the missing migrations (<c>Data/Migrations/Postgres</c>) once per process. Nodes starting at once take
    /// turns under a session advisory lock, so each migration runs exactly once per database.
    /// </summary>
    public async Task MigrateAsync(CancellationToken ct)
    {
        if (_migrated)
        {
            return;
        }

        await _migrating.WaitAsync(ct);
        try
        {
            if (!_migrated)
            {
                await using var connection = await OpenAsync(ct);
                await PostgresMigrations.ApplyAsync(connection, _logger, ct);
                _migrated = true;
            }
        }
        finally
        {
            _migrating.Release();
        }
    }

    public static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();

    public void Dispose()
    {
        _dataSource?.Dispose();
        _migrating.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "A database write hit {SqlState} and is run again (attempt {Attempt})")]
        public static partial void Retrying(ILogger logger, string sqlState, int attempt);
    }
}
