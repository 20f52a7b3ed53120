using Vidgate.Server.Providers;
using Vidgate.Server.Workers;

namespace Vidgate.Tests.Workers;

public sealed class PollScheduleTests
{
    private static readonly UpstreamOptions Defaults = new();

    [Fact]
    public void A_young_job_without_progress_is_polled_at_the_shortest_interval()
        => Assert.Equal(TimeSpan.FromSeconds(1), PollSchedule.Next(TimeSpan.FromSeconds(2), null, Defaults));

    [Fact]
    public void Without_progress_the_interval_grows_with_age_up_to_the_blind_cap()
    {
        Assert.Equal(TimeSpan.FromSeconds(2), PollSchedule.Next(TimeSpan.FromSeconds(10), null, Defaults));
        Assert.Equal(Defaults.MaxBlindPollInterval, PollSchedule.Next(TimeSpan.FromMinutes(10), null, Defaults));
    }

    [Fact]
    public void With_progress_the_next_poll_aims_halfway_to_the_predicted_end()
    {
        // 30 s for 25 %: 90 s to go, so look again in 45 s, capped at 10 s.
        Assert.Equal(Defaults.MaxPollInterval, PollSchedule.Next(TimeSpan.FromSeconds(30), 25, Defaults));

        // 60 s for 90 %: ~6.7 s to go → 3.3 s.
        var next = PollSchedule.Next(TimeSpan.FromSeconds(60), 90, Defaults);
        Assert.InRange(next.TotalSeconds, 3.2, 3.4);

        // Almost there: the shortest interval, which bounds the lag.
        Assert.Equal(Defaults.MinPollInterval, PollSchedule.Next(TimeSpan.FromSeconds(60), 99, Defaults));
    }
}
