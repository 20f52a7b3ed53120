using System.Threading.RateLimiting;

namespace Vidgate.Server.Providers.Registry;

/// <summary>
/// Per-instance traffic control shared by submits and polls: the instance's requests-per-second budget (a token bucket
/// that queues callers instead of refusing them) and a pause until a 429's <c>Retry-After</c> has passed.
/// </summary>
internal sealed class InstanceGate : IDisposable
{
    private readonly TokenBucketRateLimiter? _limiter;
    private readonly TimeProvider _clock;
    private long _pausedUntilTicks;

    public InstanceGate(double requestsPerSecond, TimeProvider clock)
    {
        _clock = clock;
        if (requestsPerSecond > 0)
        {
            // Small refill steps keep the flow smooth: at 50 rps, 5 every 100 ms rather than 50 at each second.
            var (period, tokens) = requestsPerSecond >= 10
                ? (TimeSpan.FromMilliseconds(100), (int)Math.Round(requestsPerSecond / 10))
                : (TimeSpan.FromSeconds(1 / requestsPerSecond), 1);
            _limiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = tokens,
                TokensPerPeriod = tokens,
                ReplenishmentPeriod = period,
                QueueLimit = int.MaxValue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                AutoReplenishment = true,
            });
        }
    }

    /// <summary>When a 429 paused the instance, the time the pause ends; else null.</summary>
    public DateTimeOffset? PausedUntil
    {
        get
        {
            var ticks = Interlocked.Read(ref _pausedUntilTicks);
            return ticks > _clock.GetUtcNow().UtcTicks ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;
        }
    }

    /// <summary>Stops calls to the instance for <paramref name="delay"/> (never shortens a longer pause).</summary>
    public void Pause(TimeSpan delay)
    {
        var until = (_clock.GetUtcNow() + delay).UtcTicks;
        long current;
        while (until > (current = Interlocked.Read(ref _pausedUntilTicks)) && Interlocked.CompareExchange(ref _pausedUntilTicks, until, current) != current)
        {
        }
    }

    /// <summary>Waits for the instance's rate budget.</summary>
    public async ValueTask WaitAsync(CancellationToken ct)
    {
        if (_limiter is not null)
        {
            using var lease = await _limiter.AcquireAsync(1, ct);
        }
    }

    public void Dispose() => _limiter?.Dispose();
}
