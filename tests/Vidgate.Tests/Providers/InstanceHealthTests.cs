using Microsoft.Extensions.Time.Testing;
using Vidgate.Server.Providers.Registry;

namespace Vidgate.Tests.Providers;

/// <summary>
/// The per-instance circuit breaker on a fake clock: failures in a row open it, the cooldown doubles while failures
/// continue (capped), one probe is let through half-open, its success closes it; answers about nothing change nothing.
/// </summary>
public sealed class InstanceHealthTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-06-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public void Failures_in_a_row_open_it_and_the_cooldown_doubles_up_to_the_cap_while_probes_fail()
    {
        var health = new InstanceHealth(_clock);
        for (var i = 1; i < InstanceHealth.FailureThreshold; i++)
        {
            health.Failed("HTTP 503", TimeSpan.FromMilliseconds(40));
            Assert.True(health.TryEnter(out _));
        }

        health.Failed("timeout", TimeSpan.FromSeconds(10));
        Assert.Equal(BreakerState.Open, health.State);
        Assert.False(health.TryEnter(out var retryIn));
        Assert.Equal(InstanceHealth.FirstCooldown, retryIn);

        var expected = InstanceHealth.FirstCooldown;
        for (var round = 0; round < 10; round++)
        {
            _clock.Advance(expected);
            Assert.Equal(BreakerState.HalfOpen, health.State);
            Assert.True(health.TryEnter(out _));          // the probe
            Assert.False(health.TryEnter(out _));         // everyone else waits for it
            health.Failed("connection reset", TimeSpan.FromMilliseconds(5));
            expected = TimeSpan.FromTicks(Math.Min(expected.Ticks * 2, InstanceHealth.MaxCooldown.Ticks));
            Assert.False(health.TryEnter(out retryIn));
            Assert.Equal(expected, retryIn);
        }

        Assert.Equal(InstanceHealth.MaxCooldown, expected);
        var report = health.Report();
        Assert.Equal((BreakerState.Open, "connection reset", 0.0), (report.State, report.LastError, report.SuccessRate));
    }

    [Fact]
    public void A_successful_probe_closes_it_and_the_next_opening_starts_from_the_first_cooldown()
    {
        var health = new InstanceHealth(_clock);
        for (var i = 0; i < InstanceHealth.FailureThreshold; i++)
        {
            health.Failed("HTTP 502", TimeSpan.FromMilliseconds(10));
        }

        _clock.Advance(InstanceHealth.FirstCooldown);
        Assert.True(health.TryEnter(out _));
        health.Succeeded(TimeSpan.FromMilliseconds(30));
        Assert.Equal(BreakerState.Closed, health.State);
        Assert.True(health.TryEnter(out _));
        Assert.True(health.TryEnter(out _));

        for (var i = 0; i < InstanceHealth.FailureThreshold; i++)
        {
            health.Failed("HTTP 502", TimeSpan.FromMilliseconds(10));
        }

        Assert.False(health.TryEnter(out var retryIn));
        Assert.Equal(InstanceHealth.FirstCooldown, retryIn);
    }

    [Fact]
    public void A_success_between_failures_keeps_it_closed_and_a_neutral_answer_gives_the_probe_back()
    {
        var health = new InstanceHealth(_clock);
        for (var i = 0; i < 10; i++)
        {
            health.Failed("HTTP 500", TimeSpan.FromMilliseconds(100));
            health.Failed("HTTP 500", TimeSpan.FromMilliseconds(100));
            health.Succeeded(TimeSpan.FromMilliseconds(20));
        }

        Assert.Equal(BreakerState.Closed, health.State);

        health.NoGoodKey("every key refused");
        Assert.Equal(BreakerState.Open, health.State);
        _clock.Advance(InstanceHealth.FirstCooldown);
        Assert.True(health.TryEnter(out _));
        health.Neutral(); // a 429: nothing learnt, the next caller may probe
        Assert.True(health.TryEnter(out _));
    }

    [Fact]
    public void The_report_covers_the_last_five_minutes_only()
    {
        var health = new InstanceHealth(_clock);
        health.Succeeded(TimeSpan.FromMilliseconds(100));
        health.Succeeded(TimeSpan.FromMilliseconds(300));
        health.Failed("HTTP 500", TimeSpan.FromMilliseconds(200));
        var report = health.Report();
        Assert.Equal((3, 0.6667, 200.0), (report.Calls, report.SuccessRate!.Value, report.P50LatencyMs!.Value));

        _clock.Advance(InstanceHealth.Window + TimeSpan.FromSeconds(1));
        health.Succeeded(TimeSpan.FromMilliseconds(50));
        report = health.Report();
        Assert.Equal((1, 1.0, 50.0, "HTTP 500"), (report.Calls, report.SuccessRate!.Value, report.P50LatencyMs!.Value, report.LastError));
    }
}
