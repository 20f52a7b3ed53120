using System.Threading.Channels;

namespace Vidgate.Server.Live;

/// <summary>One watcher of one task (<see cref="TaskChanges.Watch"/>): a single wake-up slot, so it never holds more than one hint.</summary>
internal sealed class TaskWatch(TaskChanges feed, string taskId, TimeProvider clock) : IDisposable
{
    private readonly Channel<bool> _slot = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    public string TaskId { get; } = taskId;

    internal void Wake() => _slot.Writer.TryWrite(true);

    /// <summary>
    /// Waits for a change hint, at most <paramref name="timeout"/>. True: woken (the task may have changed); false: the
    /// time ran out. Throws only when <paramref name="ct"/> fires (the client went away or the node is stopping).
    /// </summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        if (_slot.Reader.TryRead(out _))
        {
            return true;
        }

        if (timeout <= TimeSpan.Zero)
        {
            return false;
        }

        using var timer = new CancellationTokenSource(timeout, clock);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(ct, timer.Token);
        try
        {
            await _slot.Reader.WaitToReadAsync(either.Token);
            _slot.Reader.TryRead(out _);
            return true;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }

    public void Dispose() => feed.Remove(this);
}
