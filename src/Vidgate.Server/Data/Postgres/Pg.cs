using Npgsql;

namespace Vidgate.Server.Data.Postgres;

/// <summary>
/// The one way every PostgreSQL store runs a statement: <see cref="Command"/>, <see cref="Bind"/> (null as SQL NULL,
/// typed by the column it meets; where nothing gives it a type the SQL casts it, e.g. <c>@after::text IS NULL</c>), and
/// terminal calls that run the command and dispose it. Statements are prepared by Npgsql's automatic preparation (see
/// <see cref="PostgresDatabase"/>), so a hot statement is parsed once per physical connection. Times are Unix
/// milliseconds in BIGINT columns, as on SQLite (<see cref="Ms(DateTimeOffset)"/>, <see cref="Time"/>).
/// </summary>
internal static class Pg
{
    public static NpgsqlCommand Command(NpgsqlConnection connection, string sql) => new(sql, connection);

    /// <summary>Binds <paramref name="name"/> (without the <c>@</c>); a null <paramref name="value"/> is SQL NULL.</summary>
    public static NpgsqlCommand Bind(this NpgsqlCommand command, string name, object? value)
    {
        command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    /// <summary>Runs the statement; true when it changed a row (the answer of every compare-and-swap).</summary>
    public static async Task<bool> ChangedAsync(this NpgsqlCommand command, CancellationToken ct) => await command.RowsAsync(ct) > 0;

    /// <summary>Runs the statement; how many rows it changed.</summary>
    public static async Task<int> RowsAsync(this NpgsqlCommand command, CancellationToken ct)
    {
        await using (command)
        {
            return await command.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>The first column of the first row, or null (no row, or SQL NULL).</summary>
    public static async Task<object?> ScalarAsync(this NpgsqlCommand command, CancellationToken ct)
    {
        await using (command)
        {
            return await command.ExecuteScalarAsync(ct) is { } value and not DBNull ? value : null;
        }
    }

    /// <summary>The first row mapped, or null.</summary>
    public static async Task<T?> OneAsync<T>(this NpgsqlCommand command, Func<NpgsqlDataReader, T> map, CancellationToken ct)
        where T : class
    {
        await using (command)
        {
            await using var reader = await command.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct) ? map(reader) : null;
        }
    }

    /// <summary>The first row mapped to a value (a tuple), or null.</summary>
    public static async Task<T?> RowAsync<T>(this NpgsqlCommand command, Func<NpgsqlDataReader, T> map, CancellationToken ct)
        where T : struct
    {
        await using (command)
        {
            await using var reader = await command.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct) ? map(reader) : null;
        }
    }

    /// <summary>Every row mapped.</summary>
    public static async Task<List<T>> AllAsync<T>(this NpgsqlCommand command, Func<NpgsqlDataReader, T> map, CancellationToken ct)
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

    public static long Ms(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    public static long? Ms(DateTimeOffset? time) => time?.ToUnixTimeMilliseconds();

    public static int? IntOrNull(this NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt32(ordinal);
}
