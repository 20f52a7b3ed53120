using System.Threading.Channels;

namespace Vidgate.Server.Data.Postgres;

/// <summary>
/// Group commit on PostgreSQL, the way SQLite's single writer gets it: writes queued by concurrent requests are taken
/// together, as many as are waiting (up to <see cref="MaxBatch"/>), and written by <paramref name="writeBatch"/> in one
/// transaction, so one WAL flush and one lock of each row they share serve them all; a request is answered only after
/// its batch committed. While one batch is written the next gathers, so the batch grows with the load and a lone
/// request waits for nobody. Items with the same serial key never share a batch (the later one waits for the next), so
/// each sees what the one before it committed. If a batch fails as a whole (a database error, not an answer), its items
/// are written again one by one with <paramref name="writeOne"/>, each in its own transaction, so one bad item fails
/// alone.
/// </summary>
internal sealed class PgGroupCommit<TItem, TResult>(
    Func<IReadOnlyList<TItem>, Task<TResult[]>> writeBatch, Func<TItem, Task<TResult>> writeOne, Func<TItem, string?> serialKey)
{
    /// <summary>Items per transaction at most: bounds a batch's statements and how long its row locks are held.</summary>
    public const int MaxBatch = 256;

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private int _running;

    private sealed record Pending(TItem Item, TaskCompletionSource<TResult> Done);

    /// <summary>Queues <paramref name="item"/>; completes when its batch committed (or with the error that stopped it).</summary>
    public Task<TResult> WriteAsync(TItem item)
    {
        var pending = new Pending(item, new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        _queue.Writer.TryWrite(pending);
        if (Interlocked.CompareExchange(ref _running, 1, 0) == 0)
        {
            _ = Task.Run(RunAsync);
        }

        return pending.Done.Task;
    }

    // One writer per queue (per node): batches of one node never wait for each other's row locks.
    private async Task RunAsync()
    {
        var waiting = new List<Pending>();
        while (waiting.Count > 0 || await _queue.Reader.WaitToReadAsync())
        {
            var batch = new List<Pending>();
            var keys = new HashSet<string>(StringComparer.Ordinal);
            var later = new List<Pending>();
            foreach (var pending in waiting)
            {
                Take(pending, batch, keys, later);
            }

            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var pending))
            {
                Take(pending, batch, keys, later);
            }

            waiting = later;
            await WriteBatchAsync(batch);
        }
    }

    private void Take(Pending pending, List<Pending> batch, HashSet<string> keys, List<Pending> later)
    {
        if (batch.Count >= MaxBatch || (serialKey(pending.Item) is { } key && !keys.Add(key)))
        {
            later.Add(pending);
        }
        else
        {
            batch.Add(pending);
        }
    }

    private async Task WriteBatchAsync(List<Pending> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }

        try
        {
            var results = await writeBatch([.. batch.Select(p => p.Item)]);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Done.TrySetResult(results[i]);
            }

            return;
        }
        catch (Exception ex) when (batch.Count == 1)
        {
            batch[0].Done.TrySetException(ex);
            return;
        }
        catch (Exception)
        {
            // Which item failed is not known: each is written alone, and answers for itself.
        }

        await Task.WhenAll(batch.Select(async pending =>
        {
            try
            {
                pending.Done.TrySetResult(await writeOne(pending.Item));
            }
            catch (Exception ex)
            {
                pending.Done.TrySetException(ex);
            }
        }));
    }
}
