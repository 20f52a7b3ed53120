using System.Data.Common;
using Vidgate.Server.Data;
using Vidgate.Server.Data.Postgres;
using Vidgate.Server.Data.Sqlite;

namespace Vidgate.Server.Webhooks;

/// <summary>
/// The webhook tables on whichever engine the server runs (<c>Vidgate:Database:Provider</c>). Both engines take the same
/// statements (named <c>@parameters</c>, numbers as 64-bit integers, times as Unix milliseconds), so the store is written
/// once against <see cref="DbConnection"/>; only the claim's row locking differs (<see cref="IsPostgres"/>).
/// The outbox's enqueue runs inside the task store's write and is awaited (<see cref="Db.RunAsync"/>); the delivery
/// worker's own few short statements run synchronously in their own writes.
/// </summary>
internal sealed class WebhookDb
{
    private readonly SqliteDatabase? _sqlite;
    private readonly PostgresDatabase? _postgres;

    public WebhookDb(SqliteDatabase sqlite) => _sqlite = sqlite;

    public WebhookDb(PostgresDatabase postgres) => _postgres = postgres;

    public bool IsPostgres => _postgres is not null;

    /// <summary>On the configured engine; only that one is built (a PostgreSQL node creates no SQLite file).</summary>
    public static WebhookDb Create(IServiceProvider services) => DataExtensions.IsPostgres(services.GetRequiredService<IConfiguration>()) is true
        ? new WebhookDb(services.GetRequiredService<PostgresDatabase>())
        : new WebhookDb(services.GetRequiredService<SqliteDatabase>());

    public Task<T> WriteAsync<T>(Func<DbConnection, T> operation, CancellationToken ct) => _postgres is not null
        ? _postgres.WriteAsync(connection => Task.FromResult(operation(connection)), ct)
        : _sqlite!.WriteAsync(operation, ct);

    public Task<T> ReadAsync<T>(Func<DbConnection, T> query, CancellationToken ct) => _postgres is not null
        ? _postgres.ReadAsync(connection => Task.FromResult(query(connection)), ct)
        : _sqlite!.ReadAsync(query, ct);
}

/// <summary>Engine-neutral statements: one command per call, disposed after it ran.</summary>
internal static class Db
{
    public static DbCommand Command(DbConnection connection, string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    public static int Run(this DbCommand command)
    {
        using (command)
        {
            return command.ExecuteNonQuery();
        }
    }

    public static List<T> All<T>(this DbCommand command, Func<DbDataReader, T> map)
    {
        using (command)
        {
            using var reader = command.ExecuteReader();
            var rows = new List<T>();
            while (reader.Read())
            {
                rows.Add(map(reader));
            }

            return rows;
        }
    }

    public static T? One<T>(this DbCommand command, Func<DbDataReader, T> map)
        where T : class
    {
        using (command)
        {
            using var reader = command.ExecuteReader();
            return reader.Read() ? map(reader) : null;
        }
    }

    // The async forms are for statements inside a task store's write (the outbox participant): on PostgreSQL they hold
    // row locks there; on SQLite Microsoft.Data.Sqlite runs them inline, so they complete synchronously.
    public static async ValueTask<int> RunAsync(this DbCommand command, CancellationToken ct)
    {
        await using (command)
        {
            return await command.ExecuteNonQueryAsync(ct);
        }
    }

    public static async ValueTask<List<T>> AllAsync<T>(this DbCommand command, Func<DbDataReader, T> map, CancellationToken ct)
    {
        await using (command)
        {
            await using var reader = await command.ExecuteReaderAsync(ct);
            var rows = new List<T>();
            while (await reader.ReadAsync(ct))
            {
                rows.Add(map(reader));
            }

            return rows;
        }
    }

    public static async ValueTask<T?> OneAsync<T>(this DbCommand command, Func<DbDataReader, T> map, CancellationToken ct)
        where T : class
    {
        await using (command)
        {
            await using var reader = await command.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct) ? map(reader) : null;
        }
    }

    public static long Ms(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    public static long? LongOrNull(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);
}
