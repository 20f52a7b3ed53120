using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace Vidgate.Server.Data.Sqlite;

/// <summary>
/// The one way every SQLite store runs a statement: <see cref="Command"/> (prepared once per connection and kept),
/// <see cref="Bind"/> (the one way to bind a parameter, null as SQL NULL), and the column readers. Times are stored as
/// Unix milliseconds (<see cref="Ms(DateTimeOffset)"/>, <see cref="Time"/>).
/// </summary>
internal static class Sql
{
    /// <summary>
    /// The answer of a task participant called inside the writer (<c>ITaskParticipant</c> is asynchronous for PostgreSQL's
    /// sake). On SQLite its statements run inline, so the call has completed; one that has not would go on after this
    /// write's transaction was committed, so it is refused loudly.
    /// </summary>
    public static T Completed<T>(this ValueTask<T> pending) => pending.IsCompleted
        ? pending.GetAwaiter().GetResult()
        : throw new InvalidOperationException("A task participant did not complete inside the SQLite writer.");

    /// <inheritdoc cref="Completed{T}(ValueTask{T})"/>
    public static void Completed(this ValueTask pending)
    {
        if (!pending.IsCompleted)
        {
            throw new InvalidOperationException("A task participant did not complete inside the SQLite writer.");
        }

        pending.GetAwaiter().GetResult();
    }

    private static readonly ConditionalWeakTable<SqliteConnection, Dictionary<string, SqliteCommand>> Statements = [];

    /// <summary>
    /// A command for <paramref name="sql"/> kept with its connection, so the statement is parsed once per connection.
    /// Parameters are cleared; bind them with <see cref="Bind"/>. Do not dispose it. A connection is used by one thread
    /// at a time (the writer's, or a reader's while it is out of the pool), so no lock is needed.
    /// </summary>
    public static SqliteCommand Command(SqliteConnection connection, string sql)
    {
        var commands = Statements.GetOrCreateValue(connection);
        if (!commands.TryGetValue(sql, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            commands[sql] = command;
        }

        command.Parameters.Clear();
        return command;
    }

    /// <summary>Binds <paramref name="name"/>; a null <paramref name="value"/> is SQL NULL.</summary>
    public static SqliteCommand Bind(this SqliteCommand command, string name, object? value)
    {
        command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    /// <summary>Runs the statement; true when it changed a row (the answer of every compare-and-swap).</summary>
    public static bool Changed(this SqliteCommand command) => command.ExecuteNonQuery() > 0;

    /// <summary>The first row mapped, or null.</summary>
    public static T? One<T>(this SqliteCommand command, Func<SqliteDataReader, T> map)
        where T : class
    {
        using var reader = command.ExecuteReader();
        return reader.Read() ? map(reader) : null;
    }

    /// <summary>Every row mapped.</summary>
    public static List<T> All<T>(this SqliteCommand command, Func<SqliteDataReader, T> map)
    {
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read())
        {
            rows.Add(map(reader));
        }

        return rows;
    }

    /// <summary>The first column of the first row as a number (COUNT, EXISTS), 0 when there is no row.</summary>
    public static long Scalar(this SqliteCommand command) => command.ExecuteScalar() is long value ? value : 0;

    public static long Ms(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    public static long? Ms(DateTimeOffset? time) => time?.ToUnixTimeMilliseconds();

    public static int? IntOrNull(this SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt32(ordinal);

    /// <summary>SQLite's booleans are 0 and 1.</summary>
    public static int Flag(bool value) => value ? 1 : 0;
}
