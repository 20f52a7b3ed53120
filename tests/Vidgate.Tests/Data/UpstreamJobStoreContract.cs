using Vidgate.Server.Tasks;

namespace Vidgate.Tests.Data;

/// <summary>
/// <see cref="IUpstreamJobStore"/>, on any engine: a submit is recorded only under the task's lease, a due poll is
/// claimed once, the terminal lease is taken by one node, and a crashed submit is found again.
/// </summary>
public abstract class UpstreamJobStoreContract : StoreContract
{
    private static readonly string[] Remote = ["upstream"];

    private protected UpstreamJobStoreContract(StoreEngine engine)
        : base(engine)
    {
    }

    private IUpstreamJobStore Jobs => Engine.UpstreamJobs;

    /// <summary>A remote task, claimed by <paramref name="owner"/> and marked submitting to instance <c>xai-1</c>.</summary>
    private async Task<VideoTask> SubmittingAsync(string owner = "submitter")
    {
        var task = NewTask(provider: "upstream");
        await Engine.Tasks.InsertAsync(task, Ct);
        Assert.NotNull(await Engine.Tasks.TryClaimAsync(Remote, owner, Now, Now.AddSeconds(30), Ct));
        Assert.True(await Jobs.BeginSubmitAsync(task.Id, owner, "xai-1", 0, Now, Now.AddHours(1), Ct));
        return task;
    }

    private async Task<VideoTask> TrackingAsync(DateTimeOffset firstPoll)
    {
        var task = await SubmittingAsync();
        Assert.True(await Jobs.AcceptedAsync(task.Id, "submitter", "up-1", "queued", Now, firstPoll, Ct));
        return task;
    }

    [Fact]
    public async Task A_queued_remote_task_is_seen_only_once_due()
    {
        await Engine.Tasks.InsertAsync(NewTask(provider: "upstream", at: Now), Ct);
        Assert.False(await Jobs.AnyQueuedAsync(["builtin"], Now.AddSeconds(-1), Ct));
        Assert.True(await Jobs.AnyQueuedAsync(["builtin"], Now, Ct));
        Assert.False(await Jobs.AnyQueuedAsync(["builtin", "upstream"], Now, Ct)); // the local lanes' own tasks are not the remote lane's
    }

    [Fact]
    public async Task A_callback_secret_wakes_only_its_own_tracked_job_never_later_and_not_while_it_is_being_finished()
    {
        var task = await SubmittingAsync();
        Assert.False(await Jobs.SetCallbackAsync(task.Id, "intruder", "hash-1", Ct));
        Assert.True(await Jobs.SetCallbackAsync(task.Id, "submitter", "hash-1", Ct));

        // Before the submit's answer is recorded the secret is known but there is nothing to poll yet.
        Assert.Equal(CallbackWake.Idle, await Jobs.WakeAsync("xai-1", "hash-1", Now, Ct));
        Assert.Equal(CallbackWake.Unknown, await Jobs.WakeAsync("xai-2", "hash-1", Now, Ct));
        Assert.Equal(CallbackWake.Unknown, await Jobs.WakeAsync("xai-1", "hash-2", Now, Ct));

        Assert.True(await Jobs.AcceptedAsync(task.Id, "submitter", "up-1", null, Now, Now.AddMinutes(1), Ct));
        Assert.Equal(CallbackWake.Woken, await Jobs.WakeAsync("xai-1", "hash-1", Now.AddSeconds(2), Ct));
        Assert.Equal(Now.AddSeconds(2), await Jobs.NextDueAsync(Ct));
        Assert.Equal(CallbackWake.Woken, await Jobs.WakeAsync("xai-1", "hash-1", Now.AddSeconds(30), Ct));
        Assert.Equal(Now.AddSeconds(2), await Jobs.NextDueAsync(Ct));

        // A wake-up never touches the task itself.
        Assert.Equal(VideoStatus.Processing, (await Engine.Tasks.GetAsync(task.Id, accountId: null, Ct))!.Status);

        // Taken for finishing: a poll now could take it twice, so nothing is woken; nor once it ended.
        var claimed = await Jobs.ClaimDueAsync(Now.AddSeconds(3), Now.AddSeconds(63), 10, Ct);
        Assert.Equal(task.Id, Assert.Single(claimed).TaskId);
        Assert.True(await Jobs.TryLeaseAsync(task.Id, "finisher", Now.AddSeconds(4), Now.AddSeconds(64), Ct));
        Assert.Equal(CallbackWake.Idle, await Jobs.WakeAsync("xai-1", "hash-1", Now.AddSeconds(5), Ct));
        Assert.Equal(Now.AddSeconds(63), await Jobs.NextDueAsync(Ct));
        await Jobs.MarkFinishedAsync(task.Id, Ct);
        Assert.Equal(CallbackWake.Idle, await Jobs.WakeAsync("xai-1", "hash-1", Now.AddSeconds(100), Ct));
    }

    [Fact]
    public async Task A_submit_is_recorded_only_under_the_tasks_lease()
    {
        var task = NewTask(provider: "upstream");
        await Engine.Tasks.InsertAsync(task, Ct);
        Assert.False(await Jobs.BeginSubmitAsync(task.Id, "submitter", "xai-1", 0, Now, Now.AddHours(1), Ct));
        await Engine.Tasks.TryClaimAsync(Remote, "submitter", Now, Now.AddSeconds(30), Ct);
        Assert.False(await Jobs.BeginSubmitAsync(task.Id, "intruder", "xai-1", 0, Now, Now.AddHours(1), Ct));
        Assert.True(await Jobs.BeginSubmitAsync(task.Id, "submitter", "xai-1", 0, Now, Now.AddHours(1), Ct));

        // Failing over to another route while still submitting rewrites the mark.
        Assert.True(await Jobs.BeginSubmitAsync(task.Id, "submitter", "xai-2", 1, Now, Now.AddHours(1), Ct));
        var row = await Jobs.GetAsync(task.Id, Ct);
        Assert.Equal(("xai-2", 1, UpstreamJobRow.Submitting), (row!.ProviderId, row.KeyIndex, row.Phase));
    }

    [Fact]
    public async Task An_accepted_submit_is_tracked_and_gives_up_the_task_lease()
    {
        var task = await SubmittingAsync();
        Assert.False(await Jobs.AcceptedAsync(task.Id, "intruder", "up-1", null, Now, Now, Ct));
        Assert.True(await Jobs.AcceptedAsync(task.Id, "submitter", "up-1", "queued", Now, Now.AddSeconds(5), Ct));
        Assert.False(await Jobs.AcceptedAsync(task.Id, "submitter", "up-1", "queued", Now, Now.AddSeconds(5), Ct));

        var row = await Jobs.GetAsync(task.Id, Ct);
        Assert.Equal((UpstreamJobRow.Tracking, "up-1", "queued"), (row!.Phase, row.UpstreamId, row.State));
        Assert.Equal("up-1", (await Engine.Tasks.GetAsync(task.Id, null, Ct))!.UpstreamId);
        Assert.Equal(Now.AddSeconds(5), await Jobs.NextDueAsync(Ct));

        // The lease was given up: a finisher can take it.
        Assert.True(await Jobs.TryLeaseAsync(task.Id, "finisher", Now, Now.AddSeconds(30), Ct));
    }

    [Fact]
    public async Task An_accepted_submit_shows_what_the_upstream_will_deliver_from_then_on_and_only_under_the_lease()
    {
        var task = await SubmittingAsync();
        var delivered = new Delivered(6, 1366, 768, "16:9", "768P");
        Assert.False(await Jobs.AcceptedAsync(task.Id, "intruder", "up-1", null, Now, Now, delivered, Ct));
        var asked = (await Engine.Tasks.GetAsync(task.Id, null, Ct))!;
        Assert.Equal((task.Seconds, task.Width, task.Height, task.AspectRatio, task.Resolution), (asked.Seconds, asked.Width, asked.Height, asked.AspectRatio, asked.Resolution));

        Assert.True(await Jobs.AcceptedAsync(task.Id, "submitter", "up-1", null, Now, Now, delivered, Ct));

        var shown = (await Engine.Tasks.GetAsync(task.Id, null, Ct))!;
        Assert.Equal((6, 1366, 768, "16:9", "768P", "up-1"), (shown.Seconds, shown.Width, shown.Height, shown.AspectRatio, shown.Resolution, shown.UpstreamId));
    }

    [Fact]
    public async Task A_deferred_submit_is_queued_again_for_later()
    {
        var task = await SubmittingAsync();
        Assert.False(await Jobs.DeferAsync(task.Id, "intruder", Now.AddMinutes(1), Ct));
        Assert.True(await Jobs.DeferAsync(task.Id, "submitter", Now.AddMinutes(1), Ct));
        Assert.Null(await Jobs.GetAsync(task.Id, Ct));
        Assert.Equal(VideoStatus.Queued, (await Engine.Tasks.GetAsync(task.Id, null, Ct))!.Status);
        Assert.False(await Jobs.AnyQueuedAsync(["builtin"], Now, Ct));
        Assert.True(await Jobs.AnyQueuedAsync(["builtin"], Now.AddMinutes(1), Ct));
    }

    [Fact]
    public async Task A_due_poll_is_claimed_once_until_its_claim_lapses()
    {
        var task = await TrackingAsync(firstPoll: Now);
        var claims = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Jobs.ClaimDueAsync(Now, Now.AddSeconds(30), 10, Ct)));
        var claimed = Assert.Single(claims.SelectMany(c => c));
        Assert.Equal((task.Id, 1), (claimed.TaskId, claimed.Polls));
        Assert.Empty(await Jobs.ClaimDueAsync(Now.AddSeconds(29), Now.AddSeconds(60), 10, Ct));
        Assert.Single(await Jobs.ClaimDueAsync(Now.AddSeconds(30), Now.AddSeconds(60), 10, Ct));
    }

    [Fact]
    public async Task A_recorded_poll_sets_the_next_one_and_never_lowers_progress()
    {
        var task = await TrackingAsync(firstPoll: Now);
        await Jobs.RecordPollAsync(task.Id, Now.AddSeconds(10), 50, Ct);
        await Jobs.RecordPollAsync(task.Id, Now.AddSeconds(20), 20, Ct);
        Assert.Equal(50, (await Jobs.GetAsync(task.Id, Ct))!.LastProgress);
        Assert.Equal(50, (await Engine.Tasks.GetAsync(task.Id, null, Ct))!.Progress);
        Assert.Equal(Now.AddSeconds(20), await Jobs.NextDueAsync(Ct));
    }

    [Fact]
    public async Task Two_nodes_claiming_due_polls_at_once_never_take_the_same_job()
    {
        var due = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            due.Add((await TrackingAsync(firstPoll: Now)).Id);
        }

        using var other = Engine.OpenAnother();
        async Task<List<string>> DrainAsync(IUpstreamJobStore jobs)
        {
            var taken = new List<string>();
            var misses = 0;
            while (misses < 3)
            {
                // Small batches, so the two nodes' claims interleave; an empty answer may be a row the other is taking.
                var batch = await jobs.ClaimDueAsync(Now, Now.AddSeconds(30), 2, Ct);
                taken.AddRange(batch.Select(j => j.TaskId));
                misses = batch.Count == 0 ? misses + 1 : 0;
            }

            return taken;
        }

        // Every due job once, whichever node got it. (That the second node is never kept waiting by the first one's claim is
        // PostgreSQL's SKIP LOCKED: PostgresNodesTests; SQLite has one writer at a time, so one node may take them all.)
        var drained = await Task.WhenAll(DrainAsync(Jobs), DrainAsync(other.UpstreamJobs), DrainAsync(Jobs), DrainAsync(other.UpstreamJobs));
        Assert.Equal(due.Order(), drained.SelectMany(d => d).Order());
    }

    [Fact]
    public async Task Polls_recorded_at_once_each_land_before_their_call_returns()
    {
        var tasks = new List<VideoTask>();
        for (var i = 0; i < 40; i++)
        {
            tasks.Add(await TrackingAsync(firstPoll: Now));
        }

        // Fired together (a tracker's polls end together): each call, once it returns, reads its own write.
        await Task.WhenAll(tasks.Select(async (task, i) =>
        {
            await Jobs.RecordPollAsync(task.Id, Now.AddSeconds(100 + i), i + 1, Ct);
            var row = (await Jobs.GetAsync(task.Id, Ct))!;
            Assert.Equal(i + 1, row.LastProgress);
            Assert.Equal(i + 1, (await Engine.Tasks.GetAsync(task.Id, null, Ct))!.Progress);
        }));

        Assert.Equal(Now.AddSeconds(100), await Jobs.NextDueAsync(Ct));
        Assert.Empty(await Jobs.ClaimDueAsync(Now.AddSeconds(99), Now.AddSeconds(200), 100, Ct));
        Assert.Equal(40, (await Jobs.ClaimDueAsync(Now.AddSeconds(139), Now.AddSeconds(200), 100, Ct)).Count);

        // A later poll never lowers the progress, in a group or alone; one without progress only moves the next poll.
        await Task.WhenAll(tasks.Select((task, i) => Jobs.RecordPollAsync(task.Id, Now.AddSeconds(300), i % 2 == 0 ? null : 0, Ct)));
        Assert.All(await Task.WhenAll(tasks.Select(t => Jobs.GetAsync(t.Id, Ct))), (row, i) => Assert.Equal(i + 1, row!.LastProgress));
        Assert.Equal(Now.AddSeconds(300), await Jobs.NextDueAsync(Ct));
    }

    [Fact]
    public async Task The_terminal_lease_is_taken_by_one_node_until_it_lapses_or_is_given_back()
    {
        var task = await TrackingAsync(firstPoll: Now);
        var leases = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Jobs.TryLeaseAsync(task.Id, $"node-{i}", Now, Now.AddSeconds(30), Ct)));
        Assert.Single(leases, l => l);
        Assert.False(await Jobs.TryLeaseAsync(task.Id, "late", Now.AddSeconds(29), Now.AddSeconds(60), Ct));
        Assert.True(await Jobs.TryLeaseAsync(task.Id, "late", Now.AddSeconds(31), Now.AddSeconds(60), Ct));

        await Jobs.ReleaseToTrackingAsync(task.Id, "late", Now.AddSeconds(40), Ct);
        Assert.True(await Jobs.TryLeaseAsync(task.Id, "other", Now.AddSeconds(32), Now.AddSeconds(60), Ct));
        Assert.Equal(Now.AddSeconds(40), await Jobs.NextDueAsync(Ct));
    }

    [Fact]
    public async Task A_reported_cost_is_written_once_per_job_and_reaches_the_usage_of_its_hold()
    {
        var account = await NewAccountAsync(100 * Server.Billing.Money.Unit);
        var task = NewTask(account: account.Id, provider: "upstream");
        Assert.IsType<InsertOutcome.Created>(await Engine.Tasks.InsertAsync(task, HoldFor(task), Ct));
        await Engine.Tasks.TryClaimAsync(Remote, "submitter", Now, Now.AddSeconds(30), Ct);
        await Jobs.BeginSubmitAsync(task.Id, "submitter", "xai-1", 0, Now, Now.AddHours(1), Ct);
        await Jobs.AcceptedAsync(task.Id, "submitter", "up-1", null, Now, Now, Ct);

        Assert.True(await Jobs.TryLeaseDoneAsync(task.Id, "finisher", Now, Now.AddSeconds(30), 12_500_000_000, Ct));
        Assert.False(await Jobs.TryLeaseDoneAsync(task.Id, "other", Now, Now.AddSeconds(30), 99, Ct));

        // A re-poll after a failed download reports the same job again: written again, not added.
        await Jobs.ReleaseToTrackingAsync(task.Id, "finisher", Now, Ct);
        Assert.True(await Jobs.TryLeaseDoneAsync(task.Id, "finisher", Now, Now.AddSeconds(30), 12_500_000_000, Ct));

        var usage = Assert.Single(await Engine.Billing.UsageAsync(new Server.Billing.UsageFilter(account.Id, null, null, null, null), Ct));
        Assert.Equal((Int128)12_500_000_000, usage.UpstreamCost.Ticks);
        Assert.Equal(1, usage.UpstreamCost.Tasks);
    }

    [Fact]
    public async Task The_margin_sets_known_costs_against_their_charges_and_counts_charged_tasks_without_a_cost_apart()
    {
        var account = await NewAccountAsync(100 * Server.Billing.Money.Unit);
        var costed = NewTask(account: account.Id, provider: "upstream");
        var local = NewTask(account: account.Id, provider: "builtin");
        var waiting = NewTask(account: account.Id, provider: "upstream", at: Now.AddMinutes(1));
        var yesterday = NewTask(account: account.Id, provider: "builtin", at: Now.AddDays(-1));
        foreach (var task in new[] { costed, local, waiting, yesterday })
        {
            Assert.IsType<InsertOutcome.Created>(await Engine.Tasks.InsertAsync(task, HoldFor(task), Ct));
        }

        Assert.Equal(costed.Id, (await Engine.Tasks.TryClaimAsync(Remote, "submitter", Now, Now.AddSeconds(30), Ct))!.Id);
        await Jobs.BeginSubmitAsync(costed.Id, "submitter", "xai-1", 0, Now, Now.AddHours(1), Ct);
        await Jobs.AcceptedAsync(costed.Id, "submitter", "up-1", null, Now, Now, Ct);
        Assert.True(await Jobs.TryLeaseDoneAsync(costed.Id, "finisher", Now, Now.AddSeconds(30), 25_000_000_000, Ct));
        Assert.True(await Engine.Tasks.CompleteAsync(costed.Id, "finisher", Now, null, Ct));
        for (var i = 0; i < 2; i++)
        {
            var claimed = (await Engine.Tasks.TryClaimAsync(["builtin"], "local", Now, Now.AddSeconds(30), Ct))!;
            Assert.True(await Engine.Tasks.CompleteAsync(claimed.Id, "local", Now, null, Ct));
        }

        var today = DateOnly.FromDateTime(Now.UtcDateTime);
        var lines = (await Engine.Billing.MarginAsync(new Server.Billing.UsageFilter(account.Id, null, null, today, today), Ct))
            .OrderBy(l => l.Provider, StringComparer.Ordinal).ToList();

        var six = 6 * Server.Billing.Money.Unit;
        var day = today.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(
            [
                new Server.Billing.MarginLine(day, costed.Model, "builtin", 1, six, 0, 0, 0, 1, six),
                new Server.Billing.MarginLine(day, costed.Model, "upstream", 1, 0, 0, 0, 0, 0, 0),
                new Server.Billing.MarginLine(day, costed.Model, "xai-1", 1, six, 1, six, 25_000_000_000, 0, 0),
            ],
            lines);
        Assert.Equal(4, (await Engine.Billing.MarginAsync(new Server.Billing.UsageFilter(account.Id, null, null, null, null), Ct)).Sum(l => l.Tasks));
        Assert.Empty(await Engine.Billing.MarginAsync(new Server.Billing.UsageFilter(account.Id, null, "sora-2", null, null), Ct));
        Assert.Empty(await Engine.Billing.MarginAsync(new Server.Billing.UsageFilter("acct_nobody", null, null, null, null), Ct));
    }

    [Fact]
    public async Task A_submit_stranded_by_a_crash_is_found_once_its_lease_lapsed()
    {
        var task = await SubmittingAsync();
        Assert.Empty(await Jobs.StrandedSubmitsAsync(Now.AddSeconds(29), 10, Ct));
        var stranded = Assert.Single(await Jobs.StrandedSubmitsAsync(Now.AddSeconds(31), 10, Ct));
        Assert.Equal((task.Id, "xai-1", UpstreamJobRow.Submitting), (stranded.TaskId, stranded.ProviderId, stranded.Phase));

        // A remote task is never re-queued by the lapsed-lease sweep: it may have reached the upstream.
        Assert.Equal(0, await Engine.Tasks.RequeueLapsedAsync(Now.AddSeconds(31), Ct));
    }

    [Fact]
    public async Task In_flight_jobs_are_counted_per_instance_and_ended_tasks_are_purged_from_tracking()
    {
        var first = await TrackingAsync(firstPoll: Now);
        await TrackingAsync(firstPoll: Now);
        Assert.Equal(2, (await Jobs.InFlightAsync(Ct))["xai-1"]);

        // The cancel itself ends the job's tracking (same transaction): the purge has nothing left to mark.
        await Engine.Tasks.CancelAsync(first.Id, "acct_a", Now, Ct);
        Assert.Equal(1, (await Jobs.InFlightAsync(Ct))["xai-1"]);
        Assert.Equal(UpstreamJobRow.Finished, (await Jobs.GetAsync(first.Id, Ct))!.Phase);
        Assert.Equal(0, await Jobs.PurgeFinishedAsync(Ct));

        await Engine.Tasks.DeleteFinishedAsync(first.Id, "acct_a", Ct);
        Assert.Equal(1, await Jobs.PurgeFinishedAsync(Ct));
        Assert.Null(await Jobs.GetAsync(first.Id, Ct));
    }

    [Fact]
    public async Task The_write_that_ends_a_task_ends_its_jobs_tracking_and_leaves_a_submitting_job_alone()
    {
        // Completed and failed through the task store only (no MarkFinished): the job leaves the due index in the same
        // write, so the due-poll statements need no join to tasks.
        var completed = await TrackingAsync(firstPoll: Now);
        var failed = await TrackingAsync(firstPoll: Now);
        var running = await TrackingAsync(firstPoll: Now.AddSeconds(3));
        Assert.True(await Jobs.TryLeaseAsync(completed.Id, "finisher", Now, Now.AddSeconds(30), Ct));
        Assert.True(await Jobs.TryLeaseAsync(failed.Id, "finisher", Now, Now.AddSeconds(30), Ct));
        Assert.True(await Engine.Tasks.CompleteAsync(completed.Id, "finisher", Now, null, Ct));
        Assert.True(await Engine.Tasks.FailAsync(failed.Id, "finisher", "upstream_failed", "no", Now, Ct));
        Assert.Equal(UpstreamJobRow.Finished, (await Jobs.GetAsync(completed.Id, Ct))!.Phase);
        Assert.Equal(UpstreamJobRow.Finished, (await Jobs.GetAsync(failed.Id, Ct))!.Phase);
        Assert.Equal(Now.AddSeconds(3), await Jobs.NextDueAsync(Ct));
        Assert.Equal([running.Id], (await Jobs.ClaimDueAsync(Now.AddSeconds(5), Now.AddSeconds(60), 10, Ct)).Select(j => j.TaskId));

        // A job still being submitted is the submit's and the reconciler's to decide about: a cancel leaves it as it is.
        var submitting = await SubmittingAsync();
        await Engine.Tasks.CancelAsync(submitting.Id, "acct_a", Now, Ct);
        Assert.Equal(UpstreamJobRow.Submitting, (await Jobs.GetAsync(submitting.Id, Ct))!.Phase);
    }

    [Fact]
    public async Task The_next_due_poll_passes_over_jobs_whose_task_has_ended_so_the_tracker_never_spins_on_them()
    {
        // Between a cancel and the purge that marks its job finished, the job is still "tracking" but no claim takes it;
        // a due time from it would wake the tracker every few milliseconds for nothing.
        var cancelled = await TrackingAsync(firstPoll: Now);
        var running = await TrackingAsync(firstPoll: Now.AddSeconds(7));
        await Engine.Tasks.CancelAsync(cancelled.Id, "acct_a", Now, Ct);
        Assert.Empty(await Jobs.ClaimDueAsync(Now.AddSeconds(1), Now.AddSeconds(30), 10, Ct));
        Assert.Equal(Now.AddSeconds(7), await Jobs.NextDueAsync(Ct));
        Assert.Equal(UpstreamJobRow.Finished, (await Jobs.GetAsync(cancelled.Id, Ct))!.Phase);

        await Engine.Tasks.CancelAsync(running.Id, "acct_a", Now, Ct);
        Assert.Null(await Jobs.NextDueAsync(Ct));
    }

    [Fact]
    public async Task A_finished_job_is_no_longer_polled_but_its_row_stays()
    {
        var task = await TrackingAsync(firstPoll: Now);
        await Jobs.MarkFinishedAsync(task.Id, Ct);
        Assert.Empty(await Jobs.ClaimDueAsync(Now.AddHours(1), Now.AddHours(2), 10, Ct));
        Assert.Null(await Jobs.NextDueAsync(Ct));
        Assert.Equal("xai-1", (await Jobs.GetAsync(task.Id, Ct))!.ProviderId);
    }
}

/// <summary>The upstream job store contract on SQLite.</summary>
public sealed class SqliteUpstreamJobStoreTests() : UpstreamJobStoreContract(new SqliteEngine());
