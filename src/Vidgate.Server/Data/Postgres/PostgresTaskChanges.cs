using System.Threading.Channels;
using Npgsql;
using Vidgate.Server.Live;

namespace Vidgate.Server.Data.Postgres;

/// <summary>
/// Task change hints between nodes (<see cref="ITaskChangeRelay"/>): ids announced after a store write are sent as
/// <c>pg_notify('vidgate_task_changes', id)</c>, and one LISTEN connection per node hands the ids other nodes sent (and
/// its own, harmlessly) to this node's watchers (<see cref="TaskChanges"/>), so a client streaming from node A sees
/// node B's worker progress. Announcing only adds the id to a set: a writer never waits for the database here. One
/// sender loop drains the set in one statement per batch, so a burst of heartbeats is a few NOTIFYs, and an id changed
/// twice before a send is sent once. Only hints: if PostgreSQL is unreachable they are dropped, and watchers still read
/// their task every few seconds. The same hints keep this node's read cache correct (<see cref="PostgresTaskCache"/>):
/// an id announced here or heard from any node is forgotten, and the cache answers only while the LISTEN connection is up.
/// </summary>
internal sealed partial class PostgresTaskChanges(
    PostgresDatabase db, TaskChanges changes, PostgresTaskCache cache, TimeProvider clock, ILogger<PostgresTaskChanges> logger)
    : BackgroundService, ITaskChangeRelay
{
    public const string Channel = "vidgate_task_changes";

    /// <summary>The payload that means "some tasks changed, which is not known": every watcher reads again.</summary>
    public const string Everything = "*";

    /// <summary>Ids waiting for a send, at most; past it one <see cref="Everything"/> stands for them all.</summary>
    private const int MaxPending = 10_000;

    private static readonly TimeSpan Reconnect = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private readonly System.Threading.Channels.Channel<bool> _wake = System.Threading.Channels.Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    private HashSet<string> _pending = new(StringComparer.Ordinal);
    private bool _everything;

    public void Announce(string taskId)
    {
        cache.Forget(taskId);
        lock (_gate)
        {
            if (_pending.Count < MaxPending)
            {
                _pending.Add(taskId);
            }
            else
            {
                _everything = true;
            }
        }

        _wake.Writer.TryWrite(true);
    }

    public void AnnounceAll()
    {
        cache.ForgetAll();
        lock (_gate)
        {
            _everything = true;
        }

        _wake.Writer.TryWrite(true);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.WhenAll(SendAsync(stoppingToken), ListenAsync(stoppingToken));
        }
        finally
        {
            cache.StoppedListening();
        }
    }

    private async Task SendAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _wake.Reader.WaitToReadAsync(stoppingToken))
            {
                _wake.Reader.TryRead(out _);
                string[] ids;
                lock (_gate)
                {
                    ids = _everything ? [Everything] : [.. _pending];
                    _pending = new(StringComparer.Ordinal);
                    _everything = false;
                }

                if (ids.Length == 0)
                {
                    continue;
                }

                try
                {
                    // Autocommit: delivered to every listener (this node's too) when the statement commits.
                    await db.ReadAsync(connection => Pg.Command(connection, $"SELECT pg_notify('{Channel}', id) FROM unnest(@ids::text[]) AS id;")
                        .Bind("ids", ids).RowsAsync(stoppingToken), stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Hints only: the watchers on other nodes see the change at their next re-read.
                    Log.SendFailed(logger, ids.Length, ex);
                    await Task.Delay(TimeSpan.FromSeconds(1), clock, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    // Changes made while not listening were not heard: every watcher reads its task once, and the cache starts empty.
    private Task ListenAsync(CancellationToken stoppingToken) => PgListen.RunAsync(
        db, Channel, Listening, OnNotification, Lost, Reconnect, clock, stoppingToken);

    private void Listening()
    {
        cache.StartedListening();
        changes.PublishAll();
    }

    private void Lost(TimeSpan pause, Exception exception)
    {
        cache.StoppedListening();
        Log.ListenLost(logger, pause, exception);
    }

    private void OnNotification(string payload)
    {
        if (payload == Everything)
        {
            cache.ForgetAll();
            changes.PublishAll();
        }
        else
        {
            cache.Forget(payload);
            changes.Publish(payload);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Listening for task changes failed; trying again in {Pause} (live progress falls back to re-reading every few seconds)")]
        public static partial void ListenLost(ILogger logger, TimeSpan pause, Exception exception);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Sending {Count} task change hints failed (other nodes see the changes at their next re-read)")]
        public static partial void SendFailed(ILogger logger, int count, Exception exception);
    }
}
