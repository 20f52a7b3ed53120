using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Vidgate.Server.Callbacks;

/// <summary>
/// A token bucket per provider instance, on this node: a storm of callbacks (a vendor retrying, or someone who learned
/// an instance name) costs at most <see cref="CallbackOptions.RatePerSecond"/> store writes a second. A refused
/// callback loses nothing: the vendor retries, and polling finds the job anyway.
/// </summary>
internal sealed class CallbackLimiter(IOptions<CallbackOptions> options, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);

    /// <summary>Takes one token of <paramref name="instance"/>'s bucket; false with the wait until the next one.</summary>
    public bool TryTake(string instance, out TimeSpan retryAfter)
    {
        var bucket = _buckets.GetOrAdd(instance, static (_, o) => new Bucket(o.Burst), options.Value);
        return bucket.TryTake(clock.GetTimestamp(), clock, options.Value, out retryAfter);
    }

    private sealed class Bucket(double tokens)
    {
        private readonly Lock _lock = new();
        private double _tokens = tokens;
        private long _at;

        public bool TryTake(long now, TimeProvider clock, CallbackOptions options, out TimeSpan retryAfter)
        {
            lock (_lock)
            {
                if (_at != 0)
                {
                    _tokens = Math.Min(options.Burst, _tokens + clock.GetElapsedTime(_at, now).TotalSeconds * options.RatePerSecond);
                }

                _at = now;
                if (_tokens >= 1)
                {
                    _tokens -= 1;
                    retryAfter = TimeSpan.Zero;
                    return true;
                }

                retryAfter = TimeSpan.FromSeconds((1 - _tokens) / options.RatePerSecond);
                return false;
            }
        }
    }
}
