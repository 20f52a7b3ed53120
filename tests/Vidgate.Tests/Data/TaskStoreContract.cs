using System.Data.Common;
using Vidgate.Server.Tasks;

namespace Vidgate.Tests.Data;

/// <summary>
/// <see cref="ITaskStore"/>, on any engine. The store is the queue: claims are atomic, every later transition is a
/// compare-and-swap that happens once, acknowledged writes are durable and seen by every other instance.
/// </summary>
public abstract class TaskStoreContract : StoreContract
{
    private static readonly string[] Builtin = ["builtin"];

    private protected TaskStoreContract(StoreEngine engine)
        : base(engine)
    {
    }

    private ITaskStore Store => Engine.Tasks;

    [Fact]
    public async Task A_task_round_trips_with_every_field()
    {
        var task = NewTask();
        await Store.InsertAsync(task, Ct);
        var read = await Store.GetAsync(task.Id, "acct_a", Ct);
        Assert.Equal(task, read! with { InputKeys = task.InputKeys });
        Assert.Equal(task.InputKeys, read.InputKeys);
        Assert.Null(await Store.GetAsync(task.Id, "acct_b", Ct));
        Assert.NotNull(await Store.GetAsync(task.Id, null, Ct));
    }

    [Fact]
    public async Task A_task_read_from_memory_is_never_older_than_the_last_write_of_any_kind()
    {
        var task = NewTask();
        await Store.InsertAsync(task, Ct);
        var first = await Store.GetAsync(task.Id, "acct_a", Ct);

        // Nothing written since: the same answer, also for another owner (none) and for no owner.
        Assert.Equal(first!.Status, (await Store.GetAsync(task.Id, "acct_a", Ct))!.Status);
        Assert.Null(await Store.GetAsync(task.Id, "acct_b", Ct));
        Assert.Equal(first.Id, (await Store.GetAsync(task.Id, null, Ct))!.Id);

        // Any write (here: a claim, then progress, then a cancel) is seen by the very next read.
        var claimed = await Store.TryClaimAsync(Builtin, "w1", Now, Now.AddMinutes(1), Ct);
        Assert.Equal(VideoStatus.Processing, (await Store.GetAsync(task.Id, "acct_a", Ct))!.Status);
        Assert.True(await Store.HeartbeatAsync(claimed!.Id, "w1", Now.AddMinutes(1), 42, Ct));
        Assert.Equal(42, (await Store.GetAsync(task.Id, "acct_a", Ct))!.Progress);
        await Store.CancelAsync(task.Id, "acct_a", Now, Ct);
        Assert.Equal(VideoStatus.Cancelled, (await Store.GetAsync(task.Id, "acct_a", Ct))!.Status);

        // Deleted: gone from memory as from the table.
        Assert.True(await Store.DeleteFinishedAsync(task.Id, "acct_a", Ct));
        Assert.Null(await Store.GetAsync(task.Id, "acct_a", Ct));
    }

    [Fact]
    public async Task A_change_made_by_another_instance_on_the_same_database_shows_within_a_moment()
    {
        var task = NewTask();
        await Store.InsertAsync(task, Ct);
        Assert.Equal(VideoStatus.Queued, (await Store.GetAsync(task.Id, "acct_a", Ct))!.Status);

        // Another server on the same database (an API-only node and a worker node) has its own writer.
        using var other = Engine.OpenAnother();
        await other.Tasks.CancelAsync(task.Id, "acct_a", Now, Ct);

        var deadline = DateTime.UtcNow.AddSeconds(5);
        while ((await Store.GetAsync(task.Id, "acct_a", Ct))!.Status != VideoStatus.Cancelled)
        {
            Assert.True(DateTime.UtcNow < deadline, "the other instance's cancel never showed");
            await Task.Delay(20, Ct);
        }
    }

    [Fact]
    public async Task Two_workers_racing_for_one_task_never_both_win()
    {
        await Store.InsertAsync(NewTask(), Ct);
        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            Store.TryClaimAsync(Builtin, $"node-{i}", Now, Now.AddSeconds(30), Ct)));
        var winner = Assert.Single(claims, c => c is not null);
        Assert.Equal(VideoStatus.Processing, winner!.Status);
        Assert.Equal(1, winner.Attempts);
    }

    [Fact]
    public async Task Claims_take_the_oldest_task_of_the_workers_providers_only()
    {
        var older = NewTask(at: Now.AddSeconds(-10));
        var newer = NewTask();
        var elsewhere = NewTask(provider: "xai", at: Now.AddSeconds(-20));
        foreach (var task in new[] { newer, elsewhere, older })
        {
            await Store.InsertAsync(task, Ct);
        }

        Assert.Equal(older.Id, (await Store.TryClaimAsync(Builtin, "n", Now, Now.AddSeconds(30), Ct))!.Id);
        Assert.Equal(newer.Id, (await Store.TryClaimAsync(Builtin, "n", Now, Now.AddSeconds(30), Ct))!.Id);
        Assert.Null(await Store.TryClaimAsync(Builtin, "n", Now, Now.AddSeconds(30), Ct));
    }

    [Fact]
    public async Task Only_the_lease_owner_can_complete_and_a_cancel_beats_a_late_completion()
    {
        var task = NewTask();
        await Store.InsertAsync(task, Ct);
        await Store.TryClaimAsync(Builtin, "owner", Now, Now.AddSeconds(30), Ct);

        Assert.False(await Store.CompleteAsync(task.Id, "intruder", Now, null, Ct));
        var (cancelled, changed) = await Store.CancelAsync(task.Id, "acct_a", Now, Ct);
        Assert.True(changed);
        Assert.Equal(VideoStatus.Cancelled, cancelled!.Status);

        Assert.False(await Store.CompleteAsync(task.Id, "owner", Now, null, Ct));
        Assert.False(await Store.FailAsync(task.Id, "owner", "x", "y", Now, Ct));
        Assert.False(await Store.HeartbeatAsync(task.Id, "owner", Now.AddSeconds(60), 50, Ct));
        Assert.Equal(VideoStatus.Cancelled, (await Store.GetAsync(task.Id, null, Ct))!.Status);

        var (_, again) = await Store.CancelAsync(task.Id, "acct_a", Now, Ct);
        Assert.False(again);
        var (foreign, _) = await Store.CancelAsync(task.Id, "acct_b", Now, Ct);
        Assert.Null(foreign);
    }

    [Fact]
    public async Task Of_racing_endings_exactly_one_wins()
    {
        var task = NewTask();
        await Store.InsertAsync(task, Ct);
        await Store.TryClaimAsync(Builtin, "owner", Now, Now.AddSeconds(30), Ct);

        var completes = Enumerable.Range(0, 4).Select(_ => Store.CompleteAsync(task.Id, "owner", Now, null, Ct));
        var fails = Enumerable.Range(0, 4).Select(_ => Store.FailAsync(task.Id, "owner", "x", "y", Now, Ct));
        var cancels = Enumerable.Range(0, 4).Select(async _ => (await Store.CancelAsync(task.Id, "acct_a", Now, Ct)).Changed);
        var won = await Task.WhenAll(completes.Concat(fails).Concat(cancels));
        Assert.Single(won, w => w);
        Assert.Contains((await Store.GetAsync(task.Id, null, Ct))!.Status, new[] { VideoStatus.Completed, VideoStatus.Failed, VideoStatus.Cancelled });
    }

    [Fact]
    public async Task Progress_never_goes_down_and_completion_sets_100()
    {
        var task = NewTask();
        await Store.InsertAsync(task, Ct);
        await Store.TryClaimAsync(Builtin, "owner", Now, Now.AddSeconds(30), Ct);
        Assert.True(await Store.HeartbeatAsync(task.Id, "owner", Now.AddSeconds(30), 40, Ct));
        Assert.True(await Store.HeartbeatAsync(task.Id, "owner", Now.AddSeconds(30), 10, Ct));
        Assert.Equal(40, (await Store.GetAsync(task.Id, null, Ct))!.Progress);
        Assert.True(await Store.HeartbeatAsync(task.Id, "owner", Now.AddSeconds(30), 250, Ct));
        Assert.Equal(99, (await Store.GetAsync(task.Id, null, Ct))!.Progress);
        Assert.True(await Store.CompleteAsync(task.Id, "owner", Now, Now.AddDays(7), Ct));
        var done = await Store.GetAsync(task.Id, null, Ct);
        Assert.Equal((VideoStatus.Completed, 100), (done!.Status, done.Progress));
    }

    [Fact]
    public async Task A_lapsed_lease_is_requeued_and_the_old_owner_can_no_longer_write()
    {
        var task = NewTask();
        await Store.InsertAsync(task, Ct);
        await Store.TryClaimAsync(Builtin, "dead-node", Now, Now.AddSeconds(30), Ct);

        Assert.Equal(0, await Store.RequeueLapsedAsync(Now.AddSeconds(29), Ct));
        Assert.Equal(1, await Store.RequeueLapsedAsync(Now.AddSeconds(31), Ct));
        var second = await Store.TryClaimAsync(Builtin, "live-node", Now.AddSeconds(31), Now.AddSeconds(61), Ct);
        Assert.Equal(2, second!.Attempts);
        Assert.False(await Store.CompleteAsync(task.Id, "dead-node", Now, null, Ct));
        Assert.True(await Store.CompleteAsync(task.Id, "live-node", Now, null, Ct));
    }

    [Fact]
    public async Task A_handed_back_task_is_queued_again_and_only_its_owner_can_hand_it_back()
    {
        var task = NewTask();
        await Store.InsertAsync(task, Ct);
        await Store.TryClaimAsync(Builtin, "owner", Now, Now.AddSeconds(30), Ct);
        Assert.False(await Store.ReleaseAsync(task.Id, "intruder", Ct));
        Assert.True(await Store.ReleaseAsync(task.Id, "owner", Ct));
        Assert.False(await Store.ReleaseAsync(task.Id, "owner", Ct));
        Assert.Equal(VideoStatus.Queued, (await Store.GetAsync(task.Id, null, Ct))!.Status);
        Assert.Equal(task.Id, (await Store.TryClaimAsync(Builtin, "next", Now, Now.AddSeconds(30), Ct))!.Id);
    }

    [Fact]
    public async Task Every_acknowledged_concurrent_insert_is_seen_by_another_instance_started_without_a_clean_shutdown()
    {
        var tasks = Enumerable.Range(0, 300).Select(_ => NewTask()).ToList();
        await Task.WhenAll(tasks.Select(t => Store.InsertAsync(t, Ct)));

        // A second instance, started while the first still runs (as after a crash, nothing was closed or flushed on
        // purpose), finds every insert the first acknowledged.
        using var restarted = Engine.OpenAnother();
        foreach (var task in tasks)
        {
            Assert.NotNull(await restarted.Tasks.GetAsync(task.Id, null, Ct));
        }
    }

    [Fact]
    public async Task A_failing_write_does_not_undo_the_concurrent_others()
    {
        var task = NewTask();
        var duplicate = task with { };
        var others = Enumerable.Range(0, 20).Select(_ => NewTask()).ToList();
        await Store.InsertAsync(task, Ct);
        var results = await Task.WhenAll(others.Select(o => Capture(Store.InsertAsync(o, Ct))).Append(Capture(Store.InsertAsync(duplicate, Ct))));
        Assert.Single(results, r => r is DbException);
        foreach (var other in others)
        {
            Assert.NotNull(await Store.GetAsync(other.Id, null, Ct));
        }
    }

    [Fact]
    public async Task Listing_is_owner_scoped_ordered_and_paged_by_cursor()
    {
        var mine = Enumerable.Range(0, 5).Select(i => NewTask(at: Now.AddSeconds(i))).ToList();
        foreach (var t in mine)
        {
            await Store.InsertAsync(t, Ct);
            await Task.Delay(2, Ct);
        }

        await Store.InsertAsync(NewTask(account: "acct_b"), Ct);
        var page1 = await Store.ListAsync("acct_a", null, 2, descending: true, Ct);
        var page2 = await Store.ListAsync("acct_a", page1[^1].Id, 2, descending: true, Ct);
        var page3 = await Store.ListAsync("acct_a", page2[^1].Id, 2, descending: true, Ct);
        Assert.Equal(mine.Select(t => t.Id).Reverse(), page1.Concat(page2).Concat(page3).Select(t => t.Id));
        Assert.Single(page3);
        var ascending = await Store.ListAsync("acct_a", mine[1].Id, 10, descending: false, Ct);
        Assert.Equal(mine.Skip(2).Select(t => t.Id), ascending.Select(t => t.Id));
    }

    [Fact]
    public async Task Only_finished_tasks_of_their_owner_are_deleted()
    {
        var task = NewTask();
        await Store.InsertAsync(task, Ct);
        Assert.False(await Store.DeleteFinishedAsync(task.Id, "acct_a", Ct));
        await Store.CancelAsync(task.Id, "acct_a", Now, Ct);
        Assert.False(await Store.DeleteFinishedAsync(task.Id, "acct_b", Ct));
        Assert.True(await Store.DeleteFinishedAsync(task.Id, "acct_a", Ct));
        Assert.False(await Store.DeleteFinishedAsync(task.Id, "acct_a", Ct));
    }

    [Fact]
    public async Task Expired_content_is_listed_until_marked_deleted()
    {
        var task = NewTask();
        await Store.InsertAsync(task, Ct);
        await Store.TryClaimAsync(Builtin, "owner", Now, Now.AddSeconds(30), Ct);
        await Store.CompleteAsync(task.Id, "owner", Now, Now.AddHours(1), Ct);

        Assert.Empty(await Store.ExpiredContentAsync(Now.AddMinutes(59), 10, Ct));
        Assert.Equal([task.Id], await Store.ExpiredContentAsync(Now.AddHours(1), 10, Ct));
        await Store.MarkContentDeletedAsync(task.Id, Now.AddHours(1), Ct);
        Assert.Empty(await Store.ExpiredContentAsync(Now.AddHours(2), 10, Ct));
        Assert.Equal(Now.AddHours(1), (await Store.GetAsync(task.Id, null, Ct))!.ContentDeletedAt);
    }

    [Fact]
    public async Task A_filtered_list_pages_with_the_cursor_over_matching_tasks_only()
    {
        var tasks = new List<VideoTask>();
        for (var i = 0; i < 7; i++)
        {
            var task = NewTask() with
            {
                Model = i % 2 == 0 ? "grok-imagine-video" : "sora-2",
                Prompt = i % 3 == 0 ? $"A Red Balloon #{i} 100%_off" : $"a blue kite #{i}",
            };
            await Store.InsertAsync(task, Ct);
            tasks.Add(task);
        }

        await Store.InsertAsync(NewTask(account: "acct_b") with { Prompt = "a red balloon too" }, Ct);
        foreach (var i in new[] { 0, 3, 4 })
        {
            await Store.CancelAsync(tasks[i].Id, "acct_a", Now, Ct);
        }

        async Task<string[]> Ids(TaskListFilter filter, string? after = null, int limit = 10, bool descending = true)
            => [.. (await Store.ListAsync("acct_a", after, limit, descending, filter, Ct)).Select(t => t.Id)];
        string[] Expected(params int[] indexes) => [.. indexes.Select(i => tasks[i].Id)];

        Assert.Equal(Expected(6, 5, 4, 3, 2, 1, 0), await Ids(TaskListFilter.None));
        Assert.Equal(Expected(4, 3, 0), await Ids(new TaskListFilter(Status: VideoStatus.Cancelled)));
        Assert.Equal(Expected(6, 5, 2, 1), await Ids(new TaskListFilter(Status: VideoStatus.Queued)));
        Assert.Empty(await Ids(new TaskListFilter(Status: VideoStatus.Failed)));
        Assert.Equal(Expected(5, 3, 1), await Ids(new TaskListFilter(Model: "sora-2")));
        Assert.Equal(Expected(6, 3, 0), await Ids(new TaskListFilter(PromptContains: "red BALLOON")));
        Assert.Equal(Expected(6, 3, 0), await Ids(new TaskListFilter(PromptContains: "100%_")));
        Assert.Equal(Expected(6, 3, 0), await Ids(new TaskListFilter(PromptContains: "%")));
        Assert.Empty(await Ids(new TaskListFilter(PromptContains: "_o_")));
        Assert.Equal(Expected(3), await Ids(new TaskListFilter(VideoStatus.Cancelled, "sora-2", "balloon")));

        // The cursor walks the matching tasks only: pages of two, both ways.
        var filter = new TaskListFilter(Status: VideoStatus.Queued);
        Assert.Equal(Expected(6, 5), await Ids(filter, limit: 2));
        Assert.Equal(Expected(2, 1), await Ids(filter, after: tasks[5].Id, limit: 2));
        Assert.Empty(await Ids(filter, after: tasks[1].Id, limit: 2));
        Assert.Equal(Expected(1, 2), await Ids(filter, limit: 2, descending: false));
        Assert.Equal(Expected(5, 6), await Ids(filter, after: tasks[2].Id, limit: 2, descending: false));
    }

    [Fact]
    public async Task The_live_queue_counts_unfinished_tasks_by_where_they_are_and_lists_the_oldest()
    {
        var empty = await Store.QueueAsync(10, Ct);
        Assert.Equal((0, (DateTimeOffset?)null, 0), (empty.Counts.Count, empty.OldestWaitingSince, empty.Oldest.Count));

        // Oldest first: done (not listed), running locally, submitting, tracking, finishing, then two queued.
        var done = NewTask(at: Now.AddMinutes(-10));
        var running = NewTask(at: Now.AddMinutes(-9));
        var submitting = NewTask(provider: "xai", at: Now.AddMinutes(-8));
        var tracking = NewTask(provider: "xai", at: Now.AddMinutes(-7));
        var finishing = NewTask(provider: "xai", at: Now.AddMinutes(-6));
        var queued = NewTask(provider: "xai", at: Now.AddMinutes(-5));
        var queuedToo = NewTask(at: Now.AddMinutes(-4));
        foreach (var task in new[] { done, running, submitting, tracking, finishing })
        {
            await Store.InsertAsync(task, Ct);
        }

        Assert.Equal(done.Id, (await Store.TryClaimAsync(Builtin, "w", Now, Now.AddMinutes(1), Ct))!.Id);
        Assert.True(await Store.CompleteAsync(done.Id, "w", Now, null, Ct));
        Assert.Equal(running.Id, (await Store.TryClaimAsync(Builtin, "w", Now, Now.AddMinutes(1), Ct))!.Id);
        foreach (var task in new[] { submitting, tracking, finishing })
        {
            Assert.Equal(task.Id, (await Store.TryClaimExceptAsync(Builtin, "r", Now, Now.AddMinutes(1), Ct))!.Id);
            Assert.True(await Engine.UpstreamJobs.BeginSubmitAsync(task.Id, "r", "xai-eu", 0, Now, Now.AddHours(1), Ct));
        }

        foreach (var task in new[] { tracking, finishing })
        {
            Assert.True(await Engine.UpstreamJobs.AcceptedAsync(task.Id, "r", "up-" + task.Id, "pending", Now, Now.AddSeconds(5), Ct));
        }

        Assert.True(await Engine.UpstreamJobs.TryLeaseAsync(finishing.Id, "f", Now, Now.AddMinutes(1), Ct));
        await Store.InsertAsync(queued, Ct);
        await Store.InsertAsync(queuedToo, Ct);

        var snapshot = await Store.QueueAsync(4, Ct);

        Assert.Equal(
            [
                new QueueCount("finishing", "xai-eu", 1), new QueueCount("queued", "builtin", 1), new QueueCount("queued", "xai", 1),
                new QueueCount("running", "builtin", 1), new QueueCount("submitting", "xai-eu", 1), new QueueCount("tracking", "xai-eu", 1),
            ],
            snapshot.Counts.OrderBy(c => c.State, StringComparer.Ordinal).ThenBy(c => c.Provider, StringComparer.Ordinal));
        Assert.Equal(queued.CreatedAt, snapshot.OldestWaitingSince);
        Assert.Equal([running.Id, submitting.Id, tracking.Id, finishing.Id], snapshot.Oldest.Select(t => t.Id));
        Assert.Equal(["running", "submitting", "tracking", "finishing"], snapshot.Oldest.Select(t => t.State));
        Assert.Equal(new QueuedTask(tracking.Id, "acct_a", tracking.Model, "xai-eu", "tracking", 0, tracking.CreatedAt), snapshot.Oldest[2]);
        Assert.Equal(6, (await Store.QueueAsync(100, Ct)).Oldest.Count);
    }

    [Fact]
    public async Task Counts_are_per_status_and_provider()
    {
        await Store.InsertAsync(NewTask(), Ct);
        await Store.InsertAsync(NewTask(), Ct);
        await Store.InsertAsync(NewTask(provider: "xai"), Ct);
        var counts = await Store.CountAsync(Ct);
        Assert.Contains(new TaskCount(VideoStatus.Queued, "builtin", 2), counts);
        Assert.Contains(new TaskCount(VideoStatus.Queued, "xai", 1), counts);
        Assert.True(await Store.PingAsync(Ct));
    }

    [Fact]
    public async Task A_second_start_on_the_same_database_applies_nothing_twice_and_keeps_the_data()
    {
        var task = NewTask();
        await Store.InsertAsync(task, Ct);
        using var second = Engine.OpenAnother();
        Assert.NotNull(await second.Tasks.GetAsync(task.Id, null, Ct));
        await second.Tasks.InsertAsync(NewTask(), Ct);
    }

    private static async Task<Exception?> Capture(Task task)
    {
        try
        {
            await task;
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }
}

/// <summary>The task store contract on SQLite (a real file in a temporary folder).</summary>
public sealed class SqliteTaskStoreTests() : TaskStoreContract(new SqliteEngine());
