using Microsoft.Extensions.Time.Testing;

namespace Vidgate.Tests.Support;

/// <summary>
/// Drives a <see cref="FakeTimeProvider"/> shared by the server and a fake upstream: small steps, each followed by a
/// wake-up of the worker that waits on the schedule, so hours of upstream schedule run in the time the work itself takes.
/// </summary>
internal static class FakeTime
{
    /// <summary>
    /// Advances <paramref name="clock"/> by <paramref name="step"/> (100 ms by default) until <paramref name="done"/> holds,
    /// calling <paramref name="wake"/> after each step; fails after <paramref name="cap"/> of fake time, naming <paramref name="what"/>.
    /// </summary>
    public static async Task RunUntilAsync(
        this FakeTimeProvider clock, Func<Task<bool>> done, Action wake, TimeSpan cap, string what, TimeSpan? step = null)
    {
        var started = clock.GetUtcNow();
        while (!await done())
        {
            Assert.True(clock.GetUtcNow() - started < cap, $"{what}: not after {cap.TotalSeconds} s of fake time");
            await StepAsync(clock, wake, step);
        }
    }

    /// <summary>Lets <paramref name="span"/> of fake time pass in steps, waking the worker after each.</summary>
    public static async Task PassAsync(this FakeTimeProvider clock, TimeSpan span, Action wake, TimeSpan? step = null)
    {
        var until = clock.GetUtcNow() + span;
        while (clock.GetUtcNow() < until)
        {
            await StepAsync(clock, wake, step);
        }
    }

    private static async Task StepAsync(FakeTimeProvider clock, Action wake, TimeSpan? step)
    {
        clock.Advance(step ?? TimeSpan.FromMilliseconds(100));
        wake();

        // Real time for the woken worker to act on the new time (a poll is a loopback round trip).
        await Task.Delay(10, TestContext.Current.CancellationToken);
    }
}
