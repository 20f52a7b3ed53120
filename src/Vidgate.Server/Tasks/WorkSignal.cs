using System.Threading.Channels;

namespace Vidgate.Server.Tasks;

/// <summary>A wake-up hint for idle workers on this node. Never holds work: losing one costs one idle-poll interval.</summary>
internal sealed class WorkSignal(TimeProvider clock)
{
    private readonly Channel<bool> _channel = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Notify() => _channel.Writer.TryWrite(true);

    /// <summary>
    /// Waits for a hint, at most <paramref name="timeout"/>. Returns quietly when <paramref name="ct"/> fires too: the
    /// worker loops check their stopping token, and a throw here would end a worker with an error on a normal stop.
    /// True when a hint was taken (false: timed out or stopping).
    /// </summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var timer = new CancellationTokenSource(timeout, clock);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(ct, timer.Token);
        try
        {
            await _channel.Reader.WaitToReadAsync(either.Token);
            return _channel.Reader.TryRead(out _);
        }
        catch (OperationCanceledException)
        {
            // Timed out (look at the store anyway) or stopping (the caller's loop ends).
            return false;
        }
    }
}
