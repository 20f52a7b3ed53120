namespace Vidgate.Server.Webhooks;

/// <summary>Section <c>Vidgate:Webhooks</c>: how deliveries are sent, retried and limited (docs/webhooks.md).</summary>
internal sealed class WebhookOptions
{
    public const string Section = "Vidgate:Webhooks";

    /// <summary>
    /// Waits before each retry, after the first attempt: Standard Webhooks' (Svix's) schedule, about 27 hours in all.
    /// Each wait is jittered by ±<see cref="Jitter"/> so endpoints coming back are not hit by every node at once.
    /// </summary>
    /// <remarks>
    /// Null (not the default list) until configured: the configuration binder appends to an array it finds filled, so a
    /// configured schedule would otherwise run after the default one.
    /// </remarks>
    public TimeSpan[]? RetrySchedule { get; set; }

    public static readonly TimeSpan[] DefaultSchedule =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2),
        TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(10),
    ];

    /// <summary>The waits in force: <see cref="RetrySchedule"/> if configured, else <see cref="DefaultSchedule"/>.</summary>
    public TimeSpan[] Schedule => RetrySchedule ?? DefaultSchedule;

    /// <summary>Fraction of each wait added or taken at random (0.2: ±20 %).</summary>
    public double Jitter { get; set; } = 0.2;

    /// <summary>Limit of one HTTP call (connect, send, headers and the capped body read).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How much of a receiver's answer is read (kept, cut to one line, as the attempt's error on a non-2xx).</summary>
    public int MaxResponseBytes { get; set; } = 4096;

    /// <summary>Deliveries in flight on this node.</summary>
    public int Concurrency { get; set; } = 16;

    /// <summary>Deliveries in flight to one destination (scheme, host and port) on this node.</summary>
    public int PerDestination { get; set; } = 4;

    /// <summary>Failed attempts in a row to one destination that open its circuit.</summary>
    public int BreakerFailures { get; set; } = 5;

    /// <summary>How long an open circuit holds a destination's deliveries (not counted as attempts) before one is tried.</summary>
    public TimeSpan BreakerOpenFor { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A claimed delivery's lease; another node sends it again if this one dies holding it.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often an idle worker looks for due deliveries without a wake-up (other nodes' endings, retries).</summary>
    public TimeSpan IdlePollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long the previous secret keeps signing after a rotation.</summary>
    public TimeSpan RotationOverlap { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Endpoints one account may have.</summary>
    public int MaxEndpointsPerAccount { get; set; } = 20;

    public bool IsValid() => Schedule.All(d => d >= TimeSpan.Zero) && Jitter is >= 0 and < 1 && Timeout > TimeSpan.Zero
        && MaxResponseBytes >= 0 && Concurrency > 0 && PerDestination > 0 && BreakerFailures > 0 && BreakerOpenFor >= TimeSpan.Zero
        && Lease > Timeout && IdlePollInterval > TimeSpan.Zero && RotationOverlap >= TimeSpan.Zero && MaxEndpointsPerAccount > 0;
}
