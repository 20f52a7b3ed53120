using Microsoft.Extensions.Time.Testing;
using Vidgate.Server.Live;
using Vidgate.Server.Tasks;

namespace Vidgate.Tests.Live;

/// <summary>The change feed's promises: a burst is one wake (bounded memory per watcher), hints reach only their task's watchers, versions only grow.</summary>
public sealed class TaskChangesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_burst_of_changes_is_one_wake_and_reaches_only_the_watchers_of_that_task()
    {
        var clock = new FakeTimeProvider();
        var feed = new TaskChanges(clock);
        using var watch = feed.Watch("video_a");
        using var twin = feed.Watch("video_a");
        using var other = feed.Watch("video_b");

        for (var i = 0; i < 10_000; i++)
        {
            feed.Publish("video_a");
        }

        Assert.True(await watch.WaitAsync(TimeSpan.FromSeconds(1), Ct));
        Assert.True(await twin.WaitAsync(TimeSpan.FromSeconds(1), Ct));

        // The burst left nothing behind: the next waits run out (the fake clock moves them past their timeout).
        var again = watch.WaitAsync(TimeSpan.FromSeconds(1), Ct);
        var untouched = other.WaitAsync(TimeSpan.FromSeconds(1), Ct);
        Assert.False(again.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(await again);
        Assert.False(await untouched);

        // A change while waiting ends the wait.
        var waiting = other.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        feed.Publish("video_b");
        Assert.True(await waiting);

        feed.PublishAll();
        Assert.True(await watch.WaitAsync(TimeSpan.Zero, Ct));
        Assert.True(await other.WaitAsync(TimeSpan.Zero, Ct));
        Assert.Equal(3, feed.Watching);
    }

    [Fact]
    public async Task A_disposed_watch_is_forgotten_and_a_cancelled_wait_throws()
    {
        var feed = new TaskChanges(new FakeTimeProvider());
        var watch = feed.Watch("video_a");
        using var stop = new CancellationTokenSource();
        var waiting = watch.WaitAsync(TimeSpan.FromMinutes(1), stop.Token);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);

        watch.Dispose();
        Assert.Equal(0, feed.Watching);
        feed.Publish("video_a");
        Assert.False(await watch.WaitAsync(TimeSpan.Zero, Ct));
    }

    [Fact]
    public void The_version_grows_with_every_visible_change_including_a_requeue_and_a_second_attempt()
    {
        var task = new VideoTask
        {
            Id = "video_v",
            AccountId = "acct",
            KeyId = "key",
            Dialect = Dialect.Seed,
            Model = "m",
            Prompt = "p",
            Seconds = 1,
            Width = 854,
            Height = 480,
            AspectRatio = "16:9",
            Resolution = "480P",
            Provider = "builtin",
            CreatedAt = DateTimeOffset.UnixEpoch,
        };
        VideoTask[] path =
        [
            task,
            task with { Status = VideoStatus.Processing, Attempts = 1 },
            task with { Status = VideoStatus.Processing, Attempts = 1, Progress = 40 },
            task with { Status = VideoStatus.Queued, Attempts = 1, Progress = 40 },
            task with { Status = VideoStatus.Processing, Attempts = 2, Progress = 40 },
            task with { Status = VideoStatus.Processing, Attempts = 2, Progress = 99 },
            task with { Status = VideoStatus.Completed, Attempts = 2, Progress = 100 },
        ];
        var versions = path.Select(TaskVersion.Of).ToList();
        Assert.All(versions.Zip(versions.Skip(1)), pair => Assert.True(pair.First < pair.Second, $"{pair.First} then {pair.Second}"));

        // Every ending is above every live state of the same attempt, whichever way it came.
        Assert.True(TaskVersion.Of(task with { Status = VideoStatus.Cancelled }) > TaskVersion.Of(task));
        Assert.True(TaskVersion.Of(task with { Status = VideoStatus.Cancelled, Attempts = 1, Progress = 40 }) > versions[3]);
        Assert.True(TaskVersion.Of(task with { Status = VideoStatus.Failed, Attempts = 2, Progress = 99 }) > versions[5]);
    }
}
