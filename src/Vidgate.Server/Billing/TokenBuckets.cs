using System.Collections.Concurrent;

namespace Vidgate.Server.Billing;

/// <summary>
/// In-memory token buckets by key (an API key id, a client IP): <c>perMinute</c> tokens refilled evenly, holding at most
/// <c>perMinute</c> (so a quiet key may burst that many). Per node: each node of a cluster allows the rate on its own.
/// </summary>
internal sealed class TokenBuckets(TimeProvider clock)
{
    private const int PruneAbove = 10_000;
    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);

    /// <summary>Takes a token; when there is none, how long until there is (whole seconds, at least 1).</summary>
    public int? TryTake(string key, int perMinute)
    {
        if (perMinute <= 0)
        {
            return 60;
        }

        var now = clock.GetTimestamp();
        var bucket = _buckets.GetOrAdd(key, _ => new Bucket(perMinute, now));
        int? wait;
        lock (bucket)
        {
            bucket.Refill(perMinute, now, clock.TimestampFrequency);
            if (bucket.Tokens >= 1)
            {
                bucket.Tokens -= 1;
                wait = null;
            }
            else
            {
                wait = WaitSeconds(bucket.Tokens, perMinute);
            }
        }

        if (_buckets.Count > PruneAbove)
        {
            Prune(now);
        }

        return wait;
    }

    /// <summary>Whether a token is there, without taking it.</summary>
    public int? Peek(string key, int perMinute)
    {
        if (!_buckets.TryGetValue(key, out var bucket))
        {
            return null;
        }

        lock (bucket)
        {
            bucket.Refill(perMinute, clock.GetTimestamp(), clock.TimestampFrequency);
            return bucket.Tokens >= 1 ? null : WaitSeconds(bucket.Tokens, perMinute);
        }
    }

    // Whole seconds until the next token; the small slack keeps 1.0000000000000009 from becoming 2.
    private static int WaitSeconds(double tokens, int perMinute) => Math.Max(1, (int)Math.Ceiling(((1 - tokens) * 60.0 / perMinute) - 1e-9));

    // Buckets untouched for two minutes are full again, so forgetting them changes nothing.
    private void Prune(long now)
    {
        var idle = 120 * clock.TimestampFrequency;
        foreach (var (key, bucket) in _buckets)
        {
            if (now - bucket.Stamp > idle)
            {
                _buckets.TryRemove(key, out _);
            }
        }
    }

    private sealed class Bucket(int tokens, long stamp)
    {
        public double Tokens { get; set; } = tokens;

        public long Stamp { get; private set; } = stamp;

        public void Refill(int perMinute, long now, long frequency)
        {
            var elapsed = (double)(now - Stamp) / frequency;
            Tokens = Math.Min(perMinute, Tokens + (elapsed * perMinute / 60.0));
            Stamp = now;
        }
    }
}
