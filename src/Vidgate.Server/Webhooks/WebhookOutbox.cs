using System.Data.Common;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Webhooks;

/// <summary>
/// The webhooks' part in the task store's writes (<see cref="ITaskParticipant"/>): when a transition ends a task, its
/// events go into the outbox in the same transaction, so a crash never loses an event of an ending that committed, and
/// an ending that rolled back leaves none behind. The delivery worker is only woken (a hint; it also polls). A raised
/// progress writes a <c>video.progress</c> event the same way, at most one per <see cref="ProgressStep"/> points.
/// </summary>
internal sealed class WebhookOutbox(WebhookSignal signal, TimeProvider clock) : ITaskParticipant
{
    /// <summary>
    /// Progress events are sent when a task's progress crosses a multiple of this (10, 20, ... 90): a render that
    /// heartbeats every second would otherwise send one per heartbeat. Never at 100: the ending's event says that.
    /// </summary>
    public const int ProgressStep = 10;

    public ValueTask<InsertOutcome?> BeforeInsertAsync(DbConnection connection, VideoTask task, InsertTerms terms, CancellationToken ct) => ValueTask.FromResult<InsertOutcome?>(null);

    public ValueTask AfterInsertAsync(DbConnection connection, VideoTask task, InsertTerms terms, CancellationToken ct) => ValueTask.CompletedTask;

    /// <summary>A create writes no event: nothing to add, and nothing that could fail.</summary>
    public bool AddInsertManyCommands(DbBatch batch, IReadOnlyList<(VideoTask Task, InsertTerms Terms)> inserts) => true;

    public async ValueTask<HoldClosed?> EndedAsync(DbConnection connection, string taskId, TaskEnding ending, DateTimeOffset now, CancellationToken ct)
    {
        var type = ending.Status switch
        {
            VideoStatus.Completed => WebhookEvents.Completed,
            VideoStatus.Failed => WebhookEvents.Failed,
            VideoStatus.Cancelled => WebhookEvents.Cancelled,
            _ => null,
        };
        if (type is not null && await WebhookStore.EnqueueAsync(connection, taskId, type, now, ct) > 0)
        {
            signal.Poke();
        }

        return null;
    }

    /// <summary>
    /// A group of endings (PostgreSQL's grouped endings): one read says which of the tasks have anywhere to send to (a
    /// live endpoint of their account, or a callback URL); only those take <see cref="EndedAsync"/>'s reads and inserts.
    /// Most tasks have neither, and a group then costs one round trip here instead of two per task.
    /// </summary>
    public async ValueTask<HoldClosed?[]> EndedManyAsync(DbConnection connection, IReadOnlyList<EndedTask> endings, CancellationToken ct)
    {
        var addressed = await WebhookStore.AddressedAsync(connection, [.. endings.Select(e => e.TaskId)], ct);
        foreach (var ending in endings.Where(e => addressed.Contains(e.TaskId)))
        {
            await EndedAsync(connection, ending.TaskId, ending.Ending, ending.Now, ct);
        }

        return new HoldClosed?[endings.Count];
    }

    public ValueTask CostReportedAsync(DbConnection connection, string taskId, long costUsdTicks, CancellationToken ct) => ValueTask.CompletedTask;

    /// <summary>
    /// Stateless: the store calls this only when the progress went up, with the value it replaced, so "crossed a step"
    /// is known without remembering what was sent, and two writes can never both cross the same step.
    /// </summary>
    public async ValueTask ProgressedAsync(DbConnection connection, string taskId, int from, int to, CancellationToken ct)
    {
        if (to / ProgressStep > from / ProgressStep && to < 100
            && await WebhookStore.EnqueueAsync(connection, taskId, WebhookEvents.Progress, clock.GetUtcNow(), ct) > 0)
        {
            signal.Poke();
        }
    }
}

/// <summary>Wakes the delivery worker (new events, a replay). Only a hint: the worker also looks every idle interval.</summary>
internal sealed class WebhookSignal
{
    private readonly System.Threading.Channels.Channel<bool> _wake = System.Threading.Channels.Channel.CreateBounded<bool>(
        new System.Threading.Channels.BoundedChannelOptions(1) { FullMode = System.Threading.Channels.BoundedChannelFullMode.DropWrite });

    /// <summary>One pending wake-up covers every event written before the worker looks.</summary>
    public void Poke() => _wake.Writer.TryWrite(true);

    /// <summary>Until poked or <paramref name="timeout"/> passed on <paramref name="clock"/>; a cancelled wait takes no wake-up.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider clock, CancellationToken ct)
    {
        using var idle = new CancellationTokenSource(timeout, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, idle.Token);
        try
        {
            await _wake.Reader.ReadAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The idle interval passed: look anyway.
        }
    }
}
