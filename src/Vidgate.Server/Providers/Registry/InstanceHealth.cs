namespace Vidgate.Server.Providers.Registry;

/// <summary>A breaker's position, as the admin view names it.</summary>
internal enum BreakerState
{
    Closed,
    Open,
    HalfOpen,
}

/// <summary>What the admin view shows of an instance's last five minutes.</summary>
internal sealed record HealthReport(BreakerState State, string? LastError, double? SuccessRate, double? P50LatencyMs, int Calls);

/// <summary>
/// The circuit breaker of one provider instance, on this node (in memory: each node learns an upstream's health from
/// its own calls). <see cref="FailureThreshold"/> submit failures in a row (5xx, timeouts, resets) open it for a
/// cooldown of <see cref="FirstCooldown"/>, doubling each time it opens again without a success in between, up to
/// <see cref="MaxCooldown"/>. Once the cooldown is over it is half-open: one submit goes through as the probe; its
/// success closes the breaker, its failure opens it again for the next, longer cooldown. An open instance is skipped
/// by routing like a full one. Answers that say nothing of the upstream's health (429 with a pause, a refused key, a
/// validation refusal) neither open nor close it; "no good key left" opens it.
/// </summary>
internal sealed class InstanceHealth(TimeProvider clock)
{
    public const int FailureThreshold = 3;
    public static readonly TimeSpan FirstCooldown = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan MaxCooldown = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    // A probe whose outcome never came back (its submit was lost) stops blocking others after this long.
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromMinutes(2);

    private readonly Lock _lock = new();
    private readonly Queue<(DateTimeOffset At, bool Ok, double Ms)> _recent = new();
    private int _failuresInARow;
    private DateTimeOffset? _openUntil;
    private TimeSpan _cooldown;
    private DateTimeOffset? _probeSince;
    private string? _lastError;

    public BreakerState State
    {
        get
        {
            lock (_lock)
            {
                return StateAt(clock.GetUtcNow());
            }
        }
    }

    /// <summary>
    /// May a submit go to this instance now? Closed: yes. Open: no. Half-open: the first caller becomes the probe, the
    /// others wait for its outcome. <paramref name="retryIn"/>: when asking again makes sense.
    /// </summary>
    public bool TryEnter(out TimeSpan retryIn)
    {
        lock (_lock)
        {
            var now = clock.GetUtcNow();
            retryIn = TimeSpan.Zero;
            switch (StateAt(now))
            {
                case BreakerState.Closed:
                    return true;
                case BreakerState.Open:
                    retryIn = _openUntil!.Value - now;
                    return false;
                default:
                    if (_probeSince is { } since && now - since < ProbeTimeout)
                    {
                        retryIn = FirstCooldown;
                        return false;
                    }

                    _probeSince = now;
                    return true;
            }
        }
    }

    /// <summary>The upstream answered (accepted, or refused the request itself): closes the breaker.</summary>
    public void Succeeded(TimeSpan latency)
    {
        lock (_lock)
        {
            Record(true, latency);
            (_failuresInARow, _openUntil, _cooldown, _probeSince) = (0, null, TimeSpan.Zero, null);
        }
    }

    /// <summary>A 5xx, a timeout, a reset: counts towards opening; a failed probe opens it again, for longer.</summary>
    public void Failed(string reason, TimeSpan latency)
    {
        lock (_lock)
        {
            Record(false, latency);
            _lastError = reason;
            _failuresInARow++;
            if (_probeSince is not null || _failuresInARow >= FailureThreshold)
            {
                Open();
            }
        }
    }

    /// <summary>Every key of the instance is refused: nothing can succeed until an operator fixes them.</summary>
    public void NoGoodKey(string reason)
    {
        lock (_lock)
        {
            _lastError = reason;
            Open();
        }
    }

    /// <summary>A call that said nothing of the upstream's health (429, a lost lease): a probe slot it held is given back.</summary>
    public void Neutral()
    {
        lock (_lock)
        {
            _probeSince = null;
        }
    }

    public HealthReport Report()
    {
        lock (_lock)
        {
            var now = clock.GetUtcNow();
            Trim(now);
            var calls = _recent.Count;
            double? rate = calls == 0 ? null : Math.Round((double)_recent.Count(c => c.Ok) / calls, 4);
            double? p50 = null;
            if (calls > 0)
            {
                var sorted = _recent.Select(c => c.Ms).Order().ToArray();
                p50 = Math.Round(sorted[(sorted.Length - 1) / 2], 1);
            }

            return new HealthReport(StateAt(now), _lastError, rate, p50, calls);
        }
    }

    private BreakerState StateAt(DateTimeOffset now)
        => _openUntil is not { } until ? BreakerState.Closed : now < until ? BreakerState.Open : BreakerState.HalfOpen;

    private void Open()
    {
        _cooldown = _cooldown == TimeSpan.Zero ? FirstCooldown : TimeSpan.FromTicks(Math.Min(_cooldown.Ticks * 2, MaxCooldown.Ticks));
        _openUntil = clock.GetUtcNow() + _cooldown;
        _probeSince = null;
    }

    private void Record(bool ok, TimeSpan latency)
    {
        var now = clock.GetUtcNow();
        _recent.Enqueue((now, ok, latency.TotalMilliseconds));
        Trim(now);
    }

    private void Trim(DateTimeOffset now)
    {
        // Bounded both ways: by time, and by count so a busy instance's window stays small in memory.
        while (_recent.Count > 0 && (now - _recent.Peek().At > Window || _recent.Count > 10_000))
        {
            _recent.Dequeue();
        }
    }
}
