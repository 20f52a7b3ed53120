using Vidgate.Server.Providers;

namespace Vidgate.Server.Workers;

/// <summary>
/// When to poll a remote job next. The lag goal (a finished upstream job shows <c>completed</c> here within 2 s at p99,
/// with 10,000 in flight) decides the shape:
/// <list type="bullet">
/// <item>With progress (xAI reports 0–99): the end is predicted from the rate so far (remaining = age × (100 − p) / p)
/// and the next poll lands halfway to it, so polls are sparse early (at most <see cref="UpstreamOptions.MaxPollInterval"/>,
/// 10 s) and come every <see cref="UpstreamOptions.MinPollInterval"/> (1 s) near the end: lag ≈ 0.5 s on average,
/// ≤ 1 s plus the download, at ~15 polls for a 2-minute job.</item>
/// <item>Without progress nothing can be predicted: the interval grows with age (age / 5) up to
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
            return Clamp(remaining / 2, options.MinPollInterval, options.MaxPollInterval);
        }

        return Clamp(age / 5, options.MinPollInterval, options.MaxBlindPollInterval);
    }

    private static TimeSpan Clamp(TimeSpan value, TimeSpan min, TimeSpan max) => value < min ? min : value > max ? max : value;
}
