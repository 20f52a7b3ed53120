using System.ComponentModel.DataAnnotations;

namespace Vidgate.Server.Providers;

/// <summary>Deploy-time settings of remote-provider work (section <c>Vidgate:Upstreams</c>). Instances and routes are runtime data.</summary>
internal sealed class UpstreamOptions
{
    public const string Section = "Vidgate:Upstreams";

    /// <summary>Submits in flight at once on this node (each is one HTTP call; failover tries routes one after another).</summary>
    [Range(1, 1024)]
    public int SubmitConcurrency { get; set; } = 16;

    /// <summary>Polls in flight at once on this node, all instances together (each instance also has its own rate limit).</summary>
    [Range(1, 4096)]
    public int PollConcurrency { get; set; } = 256;

    /// <summary>Results downloaded and stored at once on this node.</summary>
    [Range(1, 256)]
    public int FinishConcurrency { get; set; } = 16;

    /// <summary>Thumbnail/spritesheet ffmpeg runs at once (CPU-bound; they run after the task is completed).</summary>
    [Range(1, 64)]
    public int PreviewConcurrency { get; set; } = 1;

    /// <summary>First poll after acceptance, and the shortest interval: the lag floor near the end of a job.</summary>
    public TimeSpan MinPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Shortest interval once the upstream's progress predicts the end within <see cref="MinPollInterval"/> × 2: the poll is
    /// aimed at the predicted end, and while the job runs past it this is the gap (the lag bound near the end). Never longer
    /// than <see cref="MinPollInterval"/>: a smaller minimum (tests, a fast local upstream) lowers it too.
    /// </summary>
    public TimeSpan EndPollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest interval when the upstream reports progress (the next poll is aimed at the predicted end).</summary>
    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest interval when it does not: without a prediction this bounds the lag directly.</summary>
    public TimeSpan MaxBlindPollInterval { get; set; } = TimeSpan.FromSeconds(4);

    /// <summary>How long a claimed poll (or a result download) holds the task before another node may take it over.</summary>
    public TimeSpan PollLease { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A task not finished this long after it was created fails with <c>upstream_timeout</c>.</summary>
    public TimeSpan Deadline { get; set; } = TimeSpan.FromMinutes(60);

    /// <summary>When every route was unavailable: how long before the task is tried again (a 429's Retry-After if longer).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long an API key the upstream refused (401/403) is left out of an instance's rotation (an edit of the instance clears it).</summary>
    public TimeSpan RefusedKeyPause { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Largest result video accepted from an upstream.</summary>
    [Range(1024, long.MaxValue)]
    public long MaxResultBytes { get; set; } = 1L << 30;

    /// <summary>Time limit of one result download.</summary>
    public TimeSpan ResultTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often instances and routes are re-read from the database (edits on other nodes).</summary>
    public TimeSpan ReloadInterval { get; set; } = TimeSpan.FromSeconds(10);

    public bool IsValid() => MinPollInterval > TimeSpan.Zero && EndPollInterval > TimeSpan.Zero
        && MaxPollInterval >= MinPollInterval && MaxBlindPollInterval >= MinPollInterval
        && PollLease > TimeSpan.Zero && Deadline > TimeSpan.Zero && RetryDelay > TimeSpan.Zero && ResultTimeout > TimeSpan.Zero
        && ReloadInterval > TimeSpan.Zero;
}

/// <summary>
/// What a provider instance does when a submit's answer is lost after the request went out (see
/// <see cref="UpstreamSubmit.Unavailable.Ambiguous"/>): set per instance as <c>on_ambiguous_submit</c>.
/// </summary>
internal enum AmbiguousSubmit
{
    /// <summary><c>failover</c>: try the next route (or this one later); the task is made, but may be paid for twice upstream.</summary>
    Failover,

    /// <summary><c>fail</c>: the task fails with <c>upstream_ambiguous</c> and is refunded; never a second job.</summary>
    Fail,
}
