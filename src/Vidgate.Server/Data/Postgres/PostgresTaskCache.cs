using System.Collections.Concurrent;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Data.Postgres;

/// <summary>
/// This node's memory of tasks read by id (the poll path, <see cref="PostgresTaskStore.GetAsync"/>), kept correct across
/// nodes by the task change hints (<see cref="PostgresTaskChanges"/>): a hint for an id, sent by any node's write or by
/// this node's own, forgets it. It answers only while this node's LISTEN connection is up; while it is down or
/// reconnecting nothing is remembered, and (re)starting to listen forgets everything, since hints sent meanwhile were
/// lost. A hint can also be lost without the connection noticing (a silent network drop), so an entry is used for at
/// most <see cref="LiveFor"/> of a task that can still change on its own (queued, processing) and
/// <see cref="TerminalLiveFor"/> of an ended one (which changes only when deleted or when retention removes its content).
/// <para>
/// Races are settled by stamps, not locks: a read takes the stamp of its id before it queries, and its row is used only
/// while that stamp is unchanged, so a hint that arrives while the query runs (the row may predate the write it
/// announces) makes the answer single-use. Stamps are kept per stripe of ids (a hash), so memory is fixed and a hint
/// for one id at worst forgets the few others of its stripe.
/// </para>
/// </summary>
internal sealed class PostgresTaskCache(TimeProvider clock)
{
    /// <summary>How long an entry of a queued or processing task may answer at most, whatever the hints did.</summary>
    public static readonly TimeSpan LiveFor = TimeSpan.FromSeconds(1);

    /// <summary>How long an entry of a completed, failed or cancelled task may answer at most.</summary>
    public static readonly TimeSpan TerminalLiveFor = TimeSpan.FromSeconds(30);

    private const int MaxEntries = 16_384;
    private const int Stripes = 4096;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly long[] _stripes = new long[Stripes];
    private readonly long _liveFor = Ticks(clock, LiveFor);
    private readonly long _terminalLiveFor = Ticks(clock, TerminalLiveFor);
    private long _epoch;
    private volatile bool _listening;

    /// <summary>A stamp for <see cref="Remember"/>: what the id's stripe and the whole cache were when a read began.</summary>
    public readonly record struct Stamp(long Epoch, long Stripe, long At);

    private sealed record Entry(Stamp Stamp, Task<VideoTask?> Task, long Until);

    /// <summary>True while the change hints are heard (the LISTEN connection is up); only then is anything remembered.</summary>
    public bool Listening => _listening;

    /// <summary>The remembered task of <paramref name="id"/> (as a completed task, so a hit allocates nothing), if still good.</summary>
    public Task<VideoTask?>? Find(string id)
    {
        if (!_listening || !_entries.TryGetValue(id, out var entry))
        {
            return null;
        }

        var stamp = entry.Stamp;
        return stamp.Epoch == Volatile.Read(ref _epoch) && stamp.Stripe == Volatile.Read(ref _stripes[StripeOf(id)])
            && clock.GetTimestamp() < entry.Until
            ? entry.Task
            : null;
    }

    /// <summary>Taken before the read that will be remembered.</summary>
    public Stamp Begin(string id) => new(Volatile.Read(ref _epoch), Volatile.Read(ref _stripes[StripeOf(id)]), clock.GetTimestamp());

    public void Remember(string id, Stamp stamp, VideoTask task)
    {
        if (!_listening)
        {
            return;
        }

        if (_entries.Count >= MaxEntries)
        {
            _entries.Clear();
        }

        var ended = task.Status is VideoStatus.Completed or VideoStatus.Failed or VideoStatus.Cancelled;
        _entries[id] = new Entry(stamp, Task.FromResult<VideoTask?>(task), stamp.At + (ended ? _terminalLiveFor : _liveFor));
    }

    /// <summary>The task changed (here or, through a hint, on another node): its entry, and any read under way, is not used.</summary>
    public void Forget(string id)
    {
        Interlocked.Increment(ref _stripes[StripeOf(id)]);
        _entries.TryRemove(id, out _);
    }

    /// <summary>Some tasks changed and which is not known (a re-queue of lapsed leases, a burst of hints too large to name).</summary>
    public void ForgetAll()
    {
        Interlocked.Increment(ref _epoch);
        _entries.Clear();
    }

    /// <summary>The LISTEN connection is up: hints sent before were not heard, so everything read before is forgotten.</summary>
    public void StartedListening()
    {
        ForgetAll();
        _listening = true;
        ForgetAll();
    }

    /// <summary>The LISTEN connection broke: hints are not heard until it is back, so nothing is remembered meanwhile.</summary>
    public void StoppedListening()
    {
        _listening = false;
        ForgetAll();
    }

    private static int StripeOf(string id) => (string.GetHashCode(id, StringComparison.Ordinal) & int.MaxValue) % Stripes;

    private static long Ticks(TimeProvider clock, TimeSpan span) => (long)(span.TotalSeconds * clock.TimestampFrequency);
}
