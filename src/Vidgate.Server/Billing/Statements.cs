using Microsoft.Data.Sqlite;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Billing;

/// <summary>
/// Commands kept per connection, so the writer thread prepares each billing statement once, not once per create.
/// Parameters are cleared on every use; never dispose the result.
/// </summary>
internal static class Statements
{
    public static SqliteCommand For(SqliteConnection connection, string sql) => SqliteDatabase.Prepared(connection, sql);

    public static SqliteCommand With(this SqliteCommand command, string name, object? value)
    {
        command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }
}
