using Npgsql;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Data.Postgres;

/// <summary>
/// Wake-up hints between nodes: a create commits a <c>NOTIFY vidgate_tasks</c> with its provider
/// (<see cref="NotifySql"/>, in the insert's own transaction, so it is sent only if the task exists), and every node
/// with workers LISTENs and wakes its idle claiming lanes (local and remote: which one runs a provider is the
/// providers' business, not the database's) at once instead of at their next idle poll. Only a
/// hint: correctness never depends on it (workers still look at the store every <c>IdlePollInterval</c>), so a lost
/// connection is reopened after a pause and notifications missed meanwhile cost at most one poll interval.
/// </summary>
internal sealed partial class PostgresWakeUps(
    PostgresDatabase db, WorkSignals signals, TimeProvider clock, ILogger<PostgresWakeUps> logger) : BackgroundService
{
    public const string Channel = "vidgate_tasks";

    /// <summary>Run inside the insert's transaction with the task's provider as <c>@provider</c>; delivered on commit.</summary>
    public const string NotifySql = $"SELECT pg_notify('{Channel}', @provider);";

    /// <summary>The payload that wakes trackers (an upstream called back): never a provider id, which cannot start with '~'.</summary>
    public const string TrackPayload = "~track";

    /// <summary>Run inside a callback's wake-up write; delivered on commit.</summary>
    public const string NotifyTrackSql = $"SELECT pg_notify('{Channel}', '{TrackPayload}');";

    private static readonly TimeSpan Reconnect = TimeSpan.FromSeconds(5);

    // Notifications that arrived while not listening are lost: wake the workers once to look for them.
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => PgListen.RunAsync(
        db, Channel, signals.Requeued, Notified, (pause, ex) => Log.ListenLost(logger, pause, ex), Reconnect, clock, stoppingToken);

    private void Notified(string payload)
    {
        if (payload == TrackPayload)
        {
            signals.Track.Notify();
        }
        else
        {
            signals.Requeued();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Listening for task notifications failed; trying again in {Pause} (workers still poll the store)")]
        public static partial void ListenLost(ILogger logger, TimeSpan pause, Exception exception);
    }
}
