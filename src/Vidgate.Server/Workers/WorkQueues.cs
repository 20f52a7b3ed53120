using System.Collections.Concurrent;
using System.Threading.Channels;
using Vidgate.Server.Providers;
using Vidgate.Server.Providers.Registry;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Workers;

/// <summary>
/// A remote job the upstream finished; the task's lease is held by this node (taken in the store by the tracker).
/// <paramref name="SeenAt"/> and <paramref name="LeasedAt"/> (<see cref="TimeProvider.GetTimestamp"/>) date the poll's
/// answer and the lease, so the finisher's Debug line can say where a slow finish waited.
/// </summary>
internal sealed record FinishJob(UpstreamJobRow Job, UpstreamInstance Instance, UpstreamHandle Handle, UpstreamPoll.Done Done, long SeenAt, long LeasedAt);

/// <summary>
/// Jobs the <see cref="Tracker"/> saw done, waiting for the <see cref="Finisher"/>: a wake-up hint that carries its job
/// (owned by neither step). In memory only: a job lost to a crash is polled again once its lease lapses.
/// </summary>
internal sealed class FinishQueue
{
    private readonly Channel<FinishJob> _queue = Channel.CreateUnbounded<FinishJob>();
    private readonly ConcurrentDictionary<string, bool> _active = new(StringComparer.Ordinal);

    /// <summary>Queues a finished job unless this node is already finishing that task (a re-poll while it waits here).</summary>
    public void Enqueue(FinishJob job)
    {
        if (_active.TryAdd(job.Job.TaskId, true) && !_queue.Writer.TryWrite(job))
        {
            _active.TryRemove(job.Job.TaskId, out _);
        }
    }

    public IAsyncEnumerable<FinishJob> ReadAllAsync(CancellationToken ct) => _queue.Reader.ReadAllAsync(ct);

    /// <summary>Finished jobs waiting for a free finisher: more than zero means this node's finishers are saturated.</summary>
    public int Waiting => _queue.Reader.Count;

    /// <summary>The finisher is done with the task (whatever the outcome): a later Done may queue it again.</summary>
    public void Done(string taskId) => _active.TryRemove(taskId, out _);
}

/// <summary>
/// Whether this node's <see cref="Tracker"/> is behind: the earliest due poll it last looked at was already late by more
/// than <see cref="Late"/>, or every poll slot was taken. Written by the tracker at each look; read by the submit lanes
/// that yield (<see cref="Submitter"/>). A hint, in memory: the due polls themselves are in the store.
/// </summary>
internal sealed class PollBacklog
{
    /// <summary>How late the earliest due poll may be before the tracker counts as behind (polls go out within ~10 ms when it keeps up).</summary>
    public static readonly TimeSpan Late = TimeSpan.FromMilliseconds(200);

    private volatile bool _behind;

    public bool Behind => _behind;

    /// <summary>The tracker's look: <paramref name="due"/> the earliest due poll (null: none), or every slot busy.</summary>
    public void Saw(DateTimeOffset? due, DateTimeOffset now, bool slotsFull) => _behind = slotsFull || (due is { } d && now - d > Late);
}

/// <summary>A finished remote video waiting for its thumbnail and spritesheet.</summary>
internal sealed record PreviewJob(string TaskId, string WorkFolder, TimeSpan? Duration);

/// <summary>Completed remote tasks waiting for the <see cref="PreviewMaker"/>. In memory: previews lost to a crash are simply missing.</summary>
internal sealed class PreviewQueue
{
    private readonly Channel<PreviewJob> _queue = Channel.CreateUnbounded<PreviewJob>();

    public void Enqueue(PreviewJob job)
    {
        if (!_queue.Writer.TryWrite(job))
        {
            WorkFolders.TryDelete(job.WorkFolder);
        }
    }

    public IAsyncEnumerable<PreviewJob> ReadAllAsync(CancellationToken ct) => _queue.Reader.ReadAllAsync(ct);
}
