using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace Vidgate.Server.Billing;

/// <summary>
/// Commands kept per connection, so the writer thread prepares each billing statement once, not once per create.
/// Parameters are cleared on every use; never dispose the result.
/// </summary>
internal static class Statements
{
    private static readonly ConditionalWeakTable<SqliteConnection, Dictionary<string, SqliteCommand>> Cache = [];

    public static SqliteCommand For(SqliteConnection connection, string sql)
    {
        var commands = Cache.GetOrCreateValue(connection);
        lock (commands)
        {
            if (!commands.TryGetValue(sql, out var command))
            {
                command = connection.CreateCommand();
                command.CommandText = sql;
                commands[sql] = command;
            }

            command.Parameters.Clear();
            return command;
        }
    }

    public static SqliteCommand With(this SqliteCommand command, string name, object? value)
    {
        command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }
}
