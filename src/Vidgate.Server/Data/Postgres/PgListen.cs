using Npgsql;

namespace Vidgate.Server.Data.Postgres;

/// <summary>
/// One LISTEN loop for the hint channels (<see cref="PostgresWakeUps"/>, <see cref="PostgresTaskChanges"/>): a
/// connection of its own that waits for notifications, reopened after a pause whenever it breaks. Hints only: what was
/// sent while not listening is lost, so <paramref name="listening"/> runs each time listening (re)starts, to make up for it.
/// </summary>
internal static class PgListen
{
    public static async Task RunAsync(
        PostgresDatabase db, string channel, Action listening, Action<string> notified, Action<TimeSpan, Exception> lost,
        TimeSpan reconnect, TimeProvider clock, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await db.OpenAsync(stoppingToken);
                connection.Notification += (_, e) => notified(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {channel};", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                listening();
                while (true)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Whatever went wrong, only hints are lost: a failure here must never stop the node.
                lost(reconnect, ex);
            }

            try
            {
                await Task.Delay(reconnect, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
