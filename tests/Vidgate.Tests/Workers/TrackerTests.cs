using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using Vidgate.Fakes;
using Vidgate.Server.Tasks;
using Vidgate.Server.Workers;
using Vidgate.Tests.Providers;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Workers;

/// <summary>Many upstream tasks at once: all finish, none waits behind another, and polls per task stay few.</summary>
[Collection(UpstreamCollection.Name)]
public sealed class TrackerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public Task A_hundred_tasks_in_flight_all_complete_with_few_polls_each() => TestSeed.RunAsync(RunAsync);

    private static async Task RunAsync(Random rng)
    {
        // Server and fake upstream share one fake clock: the jobs' 2-8 s and the poll schedule run in no real time, and
        // the polls per task are those of the schedule, not of how busy the machine happens to be.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await XaiHarness.StartAsync(clock: clock, settings: new()
        {
            // The shipped schedule, not the harness's fast one: this is what polls per task are judged on.
            ["Vidgate:Upstreams:MinPollInterval"] = "00:00:01",
            ["Vidgate:Upstreams:MaxPollInterval"] = "00:00:10",
            ["Vidgate:Upstreams:MaxBlindPollInterval"] = "00:00:04",
        });
        h.Fake.Options.MinJob = TimeSpan.FromSeconds(2);
        h.Fake.Options.MaxJob = TimeSpan.FromSeconds(8);
        h.Fake.Options.Random = rng;
        // The admin's account (unlimited tier): a default-tier account may have only 8 videos in flight.
        using var user = h.App.Admin();

        var ids = new List<string>();
        for (var i = 0; i < 100; i++)
        {
            ids.Add((await user.CreateAsync(new { model = "grok-imagine-video", prompt = $"crowd {i}", seconds = "2" })).GetProperty("id").GetString()!);
        }

        // Time moves in 100 ms steps, each a wake-up for the tracker; 90 s of it is the old real-time cap.
        var track = h.App.Service<WorkSignals>().Track;
        var started = clock.GetUtcNow();
        var pending = ids.ToHashSet();
        for (var step = 0; pending.Count > 0; step++)
        {
            Assert.True(clock.GetUtcNow() - started < TimeSpan.FromSeconds(90), $"not completed after 90 s of upstream time: {string.Join(", ", pending)}");
            clock.Advance(TimeSpan.FromMilliseconds(100));
            track.Notify();
            await Task.Delay(10, Ct);
            if (step % 10 == 9)
            {
                var page = await Api.OkJsonAsync(await user.GetAsync("/v1/videos?limit=100", Ct));
                foreach (var video in page.GetProperty("data").EnumerateArray())
                {
                    var status = video.GetProperty("status").GetString();
                    Assert.True(status is "queued" or "in_progress" or "processing" or "completed", video.ToString());
                    if (status == "completed")
                    {
                        pending.Remove(video.GetProperty("id").GetString()!);
                    }
                }
            }
        }

        foreach (var id in ids)
        {
            await user.WaitForAsync(id, "completed");
        }

        Assert.Equal(100, h.Fake.Accepted);
        var perTask = h.Fake.Polls / 100.0;
        Assert.InRange(perTask, 2, 12);
    }

    /// <summary>
    /// A poll answered 500 says nothing about the job: the next one comes a quarter second later, and further failures
    /// double the wait (0.25, 0.5, 1 s) up to the schedule's own interval; then the schedule resumes. Tried from outside,
    /// 5 % of polls failing made the notice lag's p99 7.4 s when a failure waited out a whole interval.
    /// </summary>
    [Fact]
    public async Task A_failed_poll_is_asked_again_within_a_quarter_second_and_backs_off_while_failures_continue()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await XaiHarness.StartAsync(clock: clock, settings: new()
        {
            ["Vidgate:Upstreams:MinPollInterval"] = "00:00:01",
            ["Vidgate:Upstreams:MaxPollInterval"] = "00:00:10",
            ["Vidgate:Upstreams:MaxBlindPollInterval"] = "00:00:04",
        });
        h.Fake.Options.MinJob = TimeSpan.FromSeconds(120);
        h.Fake.Options.MaxJob = TimeSpan.FromSeconds(120);
        h.Fake.Options.EarlyPollWithoutStatus = false;
        using var user = h.App.Admin();
        await user.CreateAsync(new { model = "grok-imagine-video", prompt = "a long job", seconds = "2" });

        var track = h.App.Service<WorkSignals>().Track;
        var jobs = h.App.Service<IUpstreamJobStore>();
        async Task<TimeSpan> UntilNextPollAsync()
        {
            var before = h.Fake.Polls;
            var start = clock.GetUtcNow();
            while (h.Fake.Polls == before)
            {
                Assert.True(clock.GetUtcNow() - start < TimeSpan.FromSeconds(30), "no poll within 30 s of upstream time");
                clock.Advance(TimeSpan.FromMilliseconds(50));
                track.Notify();
                await Task.Delay(5, Ct);
            }

            // Let the poll's answer be recorded before time moves on: the claim pushed the job's due time a lease (60 s)
            // ahead, the record brings it back within the schedule's 10 s. Waiting a fixed real time instead let a slow
            // record (a loaded machine) land after the clock had run on, stretching the interval measured next.
            var recorded = Stopwatch.StartNew();
            while (await jobs.NextDueAsync(Ct) is { } due && due > clock.GetUtcNow() + TimeSpan.FromSeconds(30))
            {
                Assert.True(recorded.Elapsed < TimeSpan.FromSeconds(30), "the poll's answer was never recorded");
                await Task.Delay(5, Ct);
            }

            return clock.GetUtcNow() - start;
        }

        await UntilNextPollAsync();
        // Let the job age so that the schedule's own interval is well above a second.
        clock.Advance(TimeSpan.FromSeconds(15));
        await UntilNextPollAsync();
        h.Fake.FailNextPolls(FakeFault.ServerError, 3);
        await UntilNextPollAsync(); // answered 500

        var first = await UntilNextPollAsync(); // answered 500
        var second = await UntilNextPollAsync(); // answered 500
        var third = await UntilNextPollAsync(); // answered normally
        var resumed = await UntilNextPollAsync();

        Assert.InRange(first.TotalMilliseconds, 200, 350);
        Assert.InRange(second.TotalMilliseconds, 450, 600);
        Assert.InRange(third.TotalMilliseconds, 950, 1100);
        Assert.True(resumed >= TimeSpan.FromSeconds(2), $"after a good answer the schedule resumes (age/5 > 3 s), but the next poll came after {resumed}");
    }
}
