using Vidgate.Server.Providers;
using Vidgate.Server.Workers;

namespace Vidgate.Tests.Workers;

public sealed class PollScheduleTests
{
    private static readonly UpstreamOptions Defaults = new();

    [Fact]
    public void A_young_job_without_progress_is_polled_at_the_end_interval_then_the_minimum()
    {
        // xAI's first answers carry no progress: a 1.3 s job polled at 1 s must not wait until 2 s to be seen done.
        Assert.Equal(Defaults.EndPollInterval, PollSchedule.Next(TimeSpan.FromSeconds(1), null, Defaults));
        Assert.Equal(Defaults.EndPollInterval, PollSchedule.Next(TimeSpan.FromSeconds(1.9), null, Defaults));
        Assert.Equal(Defaults.MinPollInterval, PollSchedule.Next(TimeSpan.FromSeconds(2), null, Defaults));
        Assert.Equal(Defaults.MinPollInterval, PollSchedule.Next(TimeSpan.FromSeconds(4), null, Defaults));
    }

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

        // Almost there: the shortest interval, which bounds the lag (here an operator's EndPollInterval equal to MinPollInterval).
        var flat = new UpstreamOptions { EndPollInterval = Defaults.MinPollInterval };
        Assert.Equal(flat.MinPollInterval, PollSchedule.Next(TimeSpan.FromSeconds(60), 99, flat));
    }

    [Fact]
    public void Near_the_predicted_end_the_poll_is_aimed_at_its_earliest_moment()
    {
        // 4 s for 80 % (rounded down: up to 81 %): the end may come in 4 × 19 / 81 ≈ 0.94 s: poll then, not 1 s later.
        Assert.InRange(PollSchedule.Next(TimeSpan.FromSeconds(4), 80, Defaults).TotalSeconds, 0.93, 0.95);

        // 30 s for 95 %: between 1.25 s and 1.58 s to go; aimed at 1.25 s (a 1 s floor would poll at 1 s, then 2 s).
        Assert.InRange(PollSchedule.Next(TimeSpan.FromSeconds(30), 95, Defaults).TotalSeconds, 1.24, 1.26);
    }

    [Fact]
    public void A_job_running_past_its_predicted_end_is_polled_every_end_interval_not_faster()
    {
        // 99 % reported: it may end any moment; polled every EndPollInterval (0.5 s), the lag bound near the end.
        Assert.Equal(Defaults.EndPollInterval, PollSchedule.Next(TimeSpan.FromSeconds(60), 99, Defaults));
        Assert.Equal(Defaults.EndPollInterval, PollSchedule.Next(TimeSpan.FromSeconds(20), 99, Defaults));
        Assert.Equal(TimeSpan.FromMilliseconds(500), Defaults.EndPollInterval);
    }

    [Fact]
    public void A_halfway_poll_never_lands_past_the_earliest_possible_end()
    {
        // 300 s for 98 % (up to 99 %): halfway to the predicted 6.1 s would be 3.06 s, but it may end in 3.03 s.
        Assert.InRange(PollSchedule.Next(TimeSpan.FromSeconds(300), 98, Defaults).TotalSeconds, 3.02, 3.04);
    }

    [Fact]
    public void Far_from_the_end_polls_never_come_faster_than_the_minimum_interval()
    {
        // 1 s for 30 %: 2.33 s to go → halfway is 1.17 s; 2 s for 45 %: 2.44 s to go → 1.22 s.
        Assert.InRange(PollSchedule.Next(TimeSpan.FromSeconds(1), 30, Defaults).TotalSeconds, 1.16, 1.17);
        Assert.True(PollSchedule.Next(TimeSpan.FromSeconds(2), 45, Defaults) >= Defaults.MinPollInterval);
    }

    [Fact]
    public void The_end_interval_must_be_positive_and_a_smaller_minimum_interval_lowers_it()
    {
        Assert.True(new UpstreamOptions().IsValid());
        Assert.False(new UpstreamOptions { EndPollInterval = TimeSpan.Zero }.IsValid());

        // A deployment (or a test) polling a fast local upstream every 0.2 s keeps its 0.2 s near the end too.
        var fast = new UpstreamOptions { MinPollInterval = TimeSpan.FromMilliseconds(200) };
        Assert.True(fast.IsValid());
        Assert.Equal(TimeSpan.FromMilliseconds(200), PollSchedule.Next(TimeSpan.FromSeconds(60), 99, fast));
    }
}
