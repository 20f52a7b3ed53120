using Vidgate.Server.Providers;

namespace Vidgate.Server.Workers;

/// <summary>
/// When to poll a remote job next. The lag goals (a finished upstream job shows <c>completed</c> here within 1 s at p99,
/// 2 s with failed polls, with 10,000 in flight) decide the shape, and the upstream's rate limits (an operator pays for
/// every poll) forbid buying them with more polls:
/// <list type="bullet">
/// <item>With progress (xAI, OpenAI-style: 0–99): the end is predicted from the rate so far (remaining = age × (100 − p) / p).
/// Far from it the next poll lands halfway there, so polls are sparse early (at most
/// <see cref="UpstreamOptions.MaxPollInterval"/>, 10 s, at least <see cref="UpstreamOptions.MinPollInterval"/>, 1 s).
/// Within 2 × MinPollInterval of the earliest possible end the next poll is aimed at it, and a job that runs past it is
/// polled every <see cref="UpstreamOptions.EndPollInterval"/> (0.5 s): lag ≤ 0.5 s plus the download. Simulated on
/// linear progress (jobs of 1–4, 5–120, 60–300 s): p99 lag 0.99 / 0.99 / 1.32 s → 0.50 / 0.50 / 0.50 s, polls per
/// task 2.98 / 10.8 / 23.0 → 3.15 / 11.0 / 24.1 (docs/benchmarks.md).</item>
/// <item>Without progress nothing can be predicted: the interval grows with age (age / 5) up to
/// <see cref="UpstreamOptions.MaxBlindPollInterval"/> (4 s), which then bounds the lag directly; its floor is
/// EndPollInterval while the job is younger than 2 × MinPollInterval (xAI's first polls report no progress, and short
/// jobs end there), MinPollInterval after.</item>
/// </list>
/// </summary>
internal static class PollSchedule
{
    public static TimeSpan Next(TimeSpan age, int? progress, UpstreamOptions options)
    {
        if (progress is > 0 and < 100)
        {
            var p = progress.Value;
            var remaining = age * ((100 - p) / (double)p);

            // Progress is a whole percentage, rounded down: the end may come as soon as if p + 1 were done. Aiming at that
            // earliest end (never past it) keeps a 1 % step of a long job (1.2 s of a 2-minute one) out of the lag.
            var earliest = age * ((99 - p) / (double)(p + 1));
            return earliest > options.MinPollInterval * 2
                ? Clamp(remaining / 2 < earliest ? remaining / 2 : earliest, options.MinPollInterval, options.MaxPollInterval)
                : Clamp(earliest, End(options), options.MinPollInterval * 2);
        }

        // Blind: the interval is the lag bound. A young job is polled at the end interval (xAI's first answers carry no
        // progress, and a 1–2 s job would otherwise wait a whole second past its end); from 2 × MinPollInterval on the
        // interval grows with age. That is one or two more polls per job, only in its first seconds.
        var floor = age < options.MinPollInterval * 2 ? End(options) : options.MinPollInterval;
        return Clamp(age / 5, floor, options.MaxBlindPollInterval);
    }

    private static TimeSpan End(UpstreamOptions options)
        => options.EndPollInterval < options.MinPollInterval ? options.EndPollInterval : options.MinPollInterval;

    private static TimeSpan Clamp(TimeSpan value, TimeSpan min, TimeSpan max) => value < min ? min : value > max ? max : value;
}
