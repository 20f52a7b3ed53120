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
/// Within 2 × MinPollInterval of it the next poll is aimed at the predicted end itself, and a job that runs past it is
/// polled every <see cref="UpstreamOptions.EndPollInterval"/> (0.5 s): lag ≈ the prediction's error when it holds,
/// ≤ 0.5 s plus the download when it does not, at about the same number of polls as a 1 s floor (one aimed poll
/// replaces the last one or two 1 s polls).</item>
/// <item>Without progress nothing can be predicted: the interval grows with age (age / 5) from MinPollInterval up to
/// <see cref="UpstreamOptions.MaxBlindPollInterval"/> (4 s), which then bounds the lag directly.</item>
/// </list>
/// </summary>
internal static class PollSchedule
{
    public static TimeSpan Next(TimeSpan age, int? progress, UpstreamOptions options)
    {
        if (progress is > 0 and < 100)
        {
            var remaining = age * ((100 - progress.Value) / (double)progress.Value);
            return remaining > options.MinPollInterval * 2
                ? Clamp(remaining / 2, options.MinPollInterval, options.MaxPollInterval)
                : Clamp(remaining, options.EndPollInterval, options.MinPollInterval * 2);
        }

        return Clamp(age / 5, options.MinPollInterval, options.MaxBlindPollInterval);
    }

    private static TimeSpan Clamp(TimeSpan value, TimeSpan min, TimeSpan max) => value < min ? min : value > max ? max : value;
}
