using System.Data.Common;
using Microsoft.Extensions.Time.Testing;
using Vidgate.Server.Billing;
using Vidgate.Server.Data.Postgres;
using Vidgate.Server.Data.Sqlite;
using Vidgate.Server.Tasks;
using Vidgate.Server.Webhooks;
using Vidgate.Tests.Data;
using Vidgate.Tests.Data.Postgres;

namespace Vidgate.Tests.Webhooks;

/// <summary>
/// The outbox on a real engine: events are written by the ending's own transaction (and vanish with it when it rolls
/// back), progress events at most once per step in the heartbeat's or poll's own write, and deliveries are leased so two nodes never send the same one at once. Run on SQLite and PostgreSQL.
/// </summary>
public abstract class WebhookOutboxContract : StoreContract
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    private protected WebhookOutboxContract(StoreEngine engine)
        : base(engine)
    {
    }

    private protected abstract WebhookDb Db(StoreEngine engine);

    private protected abstract ITaskStore TasksWith(params ITaskParticipant[] participants);

    private protected abstract IUpstreamJobStore JobsWith(params ITaskParticipant[] participants);

    private WebhookStore Store => new(Db(Engine));

    private static WebhookOutbox Outbox() => new(new WebhookSignal(), new FakeTimeProvider(Now));

    private async Task<List<WebhookDelivery>> DeliveriesOfAsync(string taskId)
        => [.. (await Store.DeliveriesAsync(new DeliveryQuery(null, null, taskId, null, null, 100), Ct)).Select(r => r.Delivery).OrderBy(d => d.Id, StringComparer.Ordinal)];

    private async Task<VideoTask> ProcessingTaskAsync(string account)
    {
        var tasks = TasksWith();
        var task = NewTask(account);
        await tasks.InsertAsync(task, Ct);
        Assert.NotNull(await tasks.TryClaimAsync(["builtin"], "node-a", Now, Now + Lease, Ct));
        return task;
    }

    private async Task<string> EndpointAsync(string account, params string[] events)
    {
        var endpoint = new WebhookEndpoint(Ids.New("we_"), account, "https://example.com/" + Guid.NewGuid().ToString("N"), events, WebhookSignature.NewSecret(), Now, null, null);
        Assert.NotNull(await Store.AddEndpointAsync(endpoint, 20, Ct));
        return endpoint.Id;
    }

    [Fact]
    public async Task An_ending_writes_one_delivery_per_subscribed_live_endpoint_under_one_event_id()
    {
        var subscribed = await EndpointAsync("acct_w", WebhookEvents.Default);
        var progressOnly = await EndpointAsync("acct_w", WebhookEvents.Progress);
        var deleted = await EndpointAsync("acct_w", WebhookEvents.Default);
        Assert.True(await Store.DeleteEndpointAsync(deleted, "acct_w", Now, Ct));
        var disabled = await EndpointAsync("acct_w", WebhookEvents.Default);
        await Store.DisableEndpointAsync(disabled, "test", Now, Ct);
        var otherAccount = await EndpointAsync("acct_other", WebhookEvents.Default);
        var task = await ProcessingTaskAsync("acct_w");

        var tasks = TasksWith(new TaskMoney(Engine.Ledger), Outbox());
        Assert.True(await tasks.FailAsync(task.Id, "node-a", "boom", "it broke", Now, Ct));

        var rows = await Store.DeliveriesAsync(new DeliveryQuery(null, null, task.Id, null, null, 100), Ct);
        var delivery = Assert.Single(rows).Delivery;
        Assert.Equal(subscribed, delivery.EndpointId);
        Assert.Equal("video.failed", delivery.EventType);
        Assert.Equal(DeliveryStatus.Pending, delivery.Status);
        Assert.StartsWith("evt_", delivery.EventId);
        Assert.Null(delivery.Body);
        Assert.DoesNotContain(rows, r => r.Delivery.EndpointId is { } id && (id == progressOnly || id == deleted || id == disabled || id == otherAccount));

        // A second ending of the same task changes no row, so it writes no second event.
        Assert.False(await tasks.FailAsync(task.Id, "node-a", "boom", "again", Now, Ct));
        Assert.Single(await Store.DeliveriesAsync(new DeliveryQuery(null, null, task.Id, null, null, 100), Ct));
    }

    [Fact]
    public async Task An_ending_that_rolls_back_leaves_no_event_and_the_task_unchanged()
    {
        await EndpointAsync("acct_r", WebhookEvents.Default);
        var task = await ProcessingTaskAsync("acct_r");
        var tasks = TasksWith(Outbox(), new Refuses());

        await Assert.ThrowsAnyAsync<Exception>(() => tasks.CompleteAsync(task.Id, "node-a", Now, null, Ct));

        Assert.Empty(await Store.DeliveriesAsync(new DeliveryQuery("acct_r", null, null, null, null, 100), Ct));
        Assert.Equal(VideoStatus.Processing, (await TasksWith().GetAsync(task.Id, null, Ct))!.Status);
    }

    [Fact]
    public async Task A_leased_delivery_is_not_taken_by_another_node_until_its_lease_lapses_and_the_old_holder_then_records_nothing()
    {
        await EndpointAsync("acct_l", WebhookEvents.Default);
        var task = await ProcessingTaskAsync("acct_l");
        Assert.True(await TasksWith(Outbox()).CompleteAsync(task.Id, "node-a", Now, null, Ct));
        using var other = Engine.OpenAnother();
        var nodeB = new WebhookStore(Db(other));

        var (a, b) = (Store.ClaimAsync("node-a", Now, Now + Lease, 10, Ct), nodeB.ClaimAsync("node-b", Now, Now + Lease, 10, Ct));
        var claims = await Task.WhenAll(a, b);
        var claimed = Assert.Single(claims.SelectMany(c => c));
        var (winner, loser, loserStore) = claims[0].Count == 1 ? ("node-a", "node-b", nodeB) : ("node-b", "node-a", Store);
        Assert.Single(claimed.Secrets);
        Assert.Null(claimed.Stopped);

        // The first attempt freezes the body; a later writer gets the frozen one back.
        Assert.Equal("{\"v\":1}", await Store.FreezeBodyAsync(claimed.Delivery.Id, winner, "{\"v\":1}", Ct));
        Assert.Null(await Store.FreezeBodyAsync(claimed.Delivery.Id, loser, "{\"v\":2}", Ct));

        Assert.Empty(await loserStore.ClaimAsync(loser, Now + Lease - TimeSpan.FromSeconds(1), Now + Lease + Lease, 10, Ct));
        var retaken = Assert.Single(await loserStore.ClaimAsync(loser, Now + Lease + TimeSpan.FromSeconds(1), Now + Lease + Lease, 10, Ct));
        Assert.Equal("{\"v\":1}", retaken.Delivery.Body);

        var attempt = new WebhookAttempt(claimed.Delivery.Id, 1, Now, 200, 12, null);
        Assert.False(await (winner == "node-a" ? Store : nodeB).RecordAttemptAsync(claimed.Delivery.Id, winner, attempt, DeliveryStatus.Delivered, Now, Ct));
        Assert.True(await loserStore.RecordAttemptAsync(claimed.Delivery.Id, loser, attempt, DeliveryStatus.Delivered, Now, Ct));
        var (delivery, attempts) = (await Store.DeliveryAsync(claimed.Delivery.Id, Ct))!.Value;
        Assert.Equal(DeliveryStatus.Delivered, delivery.Status);
        Assert.Equal(200, Assert.Single(attempts).StatusCode);
    }

    [Fact]
    public async Task A_rotated_secret_signs_alongside_the_old_one_until_the_overlap_ends()
    {
        var id = await EndpointAsync("acct_s", WebhookEvents.Default);
        var task = await ProcessingTaskAsync("acct_s");
        Assert.True(await TasksWith(Outbox()).CompleteAsync(task.Id, "node-a", Now, null, Ct));
        var rotated = await Store.RotateSecretAsync(id, "acct_s", WebhookSignature.NewSecret(), Now + TimeSpan.FromHours(1), Ct);

        var claimed = Assert.Single(await Store.ClaimAsync("node-a", Now, Now + Lease, 10, Ct));
        Assert.Equal(2, claimed.Secrets.Count);
        Assert.Equal(rotated!.Secret, claimed.Secrets[0]);
        await Store.PostponeAsync(claimed.Delivery.Id, "node-a", Now + TimeSpan.FromHours(2), Ct);
        var later = Assert.Single(await Store.ClaimAsync("node-a", Now + TimeSpan.FromHours(2), Now + TimeSpan.FromHours(3), 10, Ct));
        Assert.Equal([rotated.Secret], later.Secrets);
    }

    [Fact]
    public async Task Heartbeats_write_a_progress_event_in_their_own_write_at_most_once_per_ten_point_step_and_only_for_subscribers()
    {
        var progress = await EndpointAsync("acct_p", WebhookEvents.Progress, WebhookEvents.Completed);
        var endings = await EndpointAsync("acct_p", WebhookEvents.Default);
        var task = await ProcessingTaskAsync("acct_p");
        var tasks = TasksWith(new TaskMoney(Engine.Ledger), Outbox());
        async Task<List<WebhookDelivery>> ProgressEventsAfterAsync(int value, string owner = "node-a", bool alive = true)
        {
            Assert.Equal(alive, await tasks.HeartbeatAsync(task.Id, owner, Now + Lease, value, Ct));
            return [.. (await DeliveriesOfAsync(task.Id)).Where(d => d.EventType == WebhookEvents.Progress)];
        }

        Assert.Empty(await ProgressEventsAfterAsync(5));
        var first = Assert.Single(await ProgressEventsAfterAsync(12));
        Assert.Equal(progress, first.EndpointId);
        Assert.Equal(DeliveryStatus.Pending, first.Status);
        Assert.StartsWith("evt_", first.EventId);
        Assert.Null(first.Body);
        Assert.Equal(Now, first.CreatedAt);

        // Within a step, the same value again, or a lower one: the lease is renewed, no event is written.
        Assert.Single(await ProgressEventsAfterAsync(19));
        Assert.Single(await ProgressEventsAfterAsync(19));
        Assert.Single(await ProgressEventsAfterAsync(3));
        Assert.Equal(19, (await TasksWith().GetAsync(task.Id, null, Ct))!.Progress);

        // A jump over several steps is one event; a heartbeat of a node that lost the lease writes nothing.
        Assert.Equal(2, (await ProgressEventsAfterAsync(47)).Count);
        Assert.Equal(2, (await ProgressEventsAfterAsync(88, owner: "node-b", alive: false)).Count);
        Assert.Equal(47, (await TasksWith().GetAsync(task.Id, null, Ct))!.Progress);

        // 100 is clamped to 99 by a heartbeat: the last step's event, never one at 100.
        var all = await ProgressEventsAfterAsync(100);
        Assert.Equal(3, all.Count);
        Assert.Equal(3, all.Select(d => d.EventId).Distinct().Count());
        Assert.All(all, d => Assert.Equal(progress, d.EndpointId));

        Assert.True(await tasks.CompleteAsync(task.Id, "node-a", Now, null, Ct));
        var completed = (await DeliveriesOfAsync(task.Id)).Where(d => d.EventType == WebhookEvents.Completed).Select(d => d.EndpointId).Order().ToList();
        Assert.Equal(new[] { progress, endings }.Order(), completed);
        Assert.Equal(3, (await DeliveriesOfAsync(task.Id)).Count(d => d.EventType == WebhookEvents.Progress));
        Assert.DoesNotContain(await DeliveriesOfAsync(task.Id), d => d.EventType == WebhookEvents.Progress && d.EndpointId == endings);
    }

    [Fact]
    public async Task An_upstream_poll_that_raises_progress_writes_the_step_event_in_the_same_write()
    {
        var progress = await EndpointAsync("acct_u", WebhookEvents.Progress);
        var task = await ProcessingTaskAsync("acct_u");
        var jobs = JobsWith(new TaskMoney(Engine.Ledger), Outbox());

        await jobs.RecordPollAsync(task.Id, Now + Lease, 8, Ct);
        await jobs.RecordPollAsync(task.Id, Now + Lease, null, Ct);
        Assert.Empty(await DeliveriesOfAsync(task.Id));
        await jobs.RecordPollAsync(task.Id, Now + Lease, 31, Ct);
        await jobs.RecordPollAsync(task.Id, Now + Lease, 35, Ct);
        await jobs.RecordPollAsync(task.Id, Now + Lease, 20, Ct);
        var only = Assert.Single(await DeliveriesOfAsync(task.Id));
        Assert.Equal((progress, WebhookEvents.Progress), (only.EndpointId!, only.EventType));
        Assert.Equal(35, (await TasksWith().GetAsync(task.Id, null, Ct))!.Progress);

        // Once the task ended, a late poll changes no row and writes no event.
        Assert.True(await TasksWith(Outbox()).FailAsync(task.Id, "node-a", "boom", "it broke", Now, Ct));
        await jobs.RecordPollAsync(task.Id, Now + Lease, 90, Ct);
        Assert.Single(await DeliveriesOfAsync(task.Id));
    }

    [Fact]
    public async Task A_heartbeat_whose_write_fails_after_the_outbox_row_leaves_no_event_and_the_progress_unchanged()
    {
        await EndpointAsync("acct_f", WebhookEvents.Progress);
        var task = await ProcessingTaskAsync("acct_f");
        var tasks = TasksWith(Outbox(), new Refuses());

        await Assert.ThrowsAnyAsync<Exception>(() => tasks.HeartbeatAsync(task.Id, "node-a", Now + Lease, 50, Ct));

        Assert.Empty(await DeliveriesOfAsync(task.Id));
        Assert.Equal(0, (await TasksWith().GetAsync(task.Id, null, Ct))!.Progress);
    }

    /// <summary>A participant whose part of the ending fails, so the whole write must roll back.</summary>
    private sealed class Refuses : ITaskParticipant
    {
        public ValueTask<InsertOutcome?> BeforeInsertAsync(DbConnection connection, VideoTask task, InsertTerms terms, CancellationToken ct)
            => ValueTask.FromResult<InsertOutcome?>(null);

        public ValueTask AfterInsertAsync(DbConnection connection, VideoTask task, InsertTerms terms, CancellationToken ct) => ValueTask.CompletedTask;

        public ValueTask<HoldClosed?> EndedAsync(DbConnection connection, string taskId, TaskEnding ending, DateTimeOffset now, CancellationToken ct)
            => throw new InvalidOperationException("the ending's write fails after the outbox row");

        public ValueTask CostReportedAsync(DbConnection connection, string taskId, long costUsdTicks, CancellationToken ct) => ValueTask.CompletedTask;

        public ValueTask ProgressedAsync(DbConnection connection, string taskId, int from, int to, CancellationToken ct)
            => throw new InvalidOperationException("the heartbeat's write fails after the outbox row");
    }
}

/// <summary>The outbox contract on SQLite.</summary>
public sealed class SqliteWebhookOutboxTests() : WebhookOutboxContract(new SqliteEngine())
{
    private protected override WebhookDb Db(StoreEngine engine) => new(((SqliteEngine)engine).Database);

    private protected override ITaskStore TasksWith(params ITaskParticipant[] participants) => new SqliteTaskStore(((SqliteEngine)Engine).Database, participants);

    private protected override IUpstreamJobStore JobsWith(params ITaskParticipant[] participants) => new SqliteUpstreamJobStore(((SqliteEngine)Engine).Database, participants);
}

/// <summary>The outbox contract on PostgreSQL (claims with FOR UPDATE SKIP LOCKED).</summary>
public sealed class PostgresWebhookOutboxTests() : WebhookOutboxContract(new PostgresEngine())
{
    private protected override WebhookDb Db(StoreEngine engine) => new(((PostgresEngine)engine).Database);

    private protected override ITaskStore TasksWith(params ITaskParticipant[] participants) => new PostgresTaskStore(((PostgresEngine)Engine).Database, participants);

    private protected override IUpstreamJobStore JobsWith(params ITaskParticipant[] participants) => new PostgresUpstreamJobStore(((PostgresEngine)Engine).Database, participants);
}
