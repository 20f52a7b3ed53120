using Vidgate.Server.Tasks;

namespace Vidgate.Server.Live;

/// <summary>
/// <see cref="IUpstreamJobStore"/> with change hints for the two writes of the remote side that a client can see: a
/// poll that reported progress, and a deferral (every route unavailable: the task is queued again). The rest only move
/// the job between <c>submitting</c> and <c>tracking</c>, which no dialect shows.
/// </summary>
internal sealed class NotifyingUpstreamJobStore(IUpstreamJobStore inner, TaskChangeNotes notes) : IUpstreamJobStore
{
    public Task<bool> AnyQueuedAsync(IReadOnlyCollection<string> except, DateTimeOffset now, CancellationToken ct) => inner.AnyQueuedAsync(except, now, ct);

    public Task<bool> SetCallbackAsync(string taskId, string owner, string tokenHash, CancellationToken ct) => inner.SetCallbackAsync(taskId, owner, tokenHash, ct);

    public Task<CallbackWake> WakeAsync(string providerId, string tokenHash, DateTimeOffset now, CancellationToken ct) => inner.WakeAsync(providerId, tokenHash, now, ct);

    public Task<bool> BeginSubmitAsync(string taskId, string owner, string providerId, int keyIndex, DateTimeOffset now, DateTimeOffset deadline, CancellationToken ct)
        => inner.BeginSubmitAsync(taskId, owner, providerId, keyIndex, now, deadline, ct);

    public async Task<bool> AcceptedAsync(string taskId, string owner, string upstreamId, string? state, DateTimeOffset now, DateTimeOffset firstPoll, Delivered? delivered, CancellationToken ct)
    {
        var accepted = await inner.AcceptedAsync(taskId, owner, upstreamId, state, now, firstPoll, delivered, ct);
        if (accepted && delivered is not null)
        {
            // The task now shows the delivered length and size.
            notes.Changed(taskId);
        }

        return accepted;
    }

    public async Task<bool> DeferAsync(string taskId, string owner, DateTimeOffset runAfter, CancellationToken ct)
    {
        var deferred = await inner.DeferAsync(taskId, owner, runAfter, ct);
        if (deferred)
        {
            notes.Changed(taskId);
        }

        return deferred;
    }

    public Task<IReadOnlyList<UpstreamJobRow>> ClaimDueAsync(DateTimeOffset now, DateTimeOffset leaseUntil, int limit, CancellationToken ct)
        => inner.ClaimDueAsync(now, leaseUntil, limit, ct);

    public Task<DateTimeOffset?> NextDueAsync(CancellationToken ct) => inner.NextDueAsync(ct);

    public async Task RecordPollAsync(string taskId, DateTimeOffset nextPollAt, int? progress, CancellationToken ct)
    {
        await inner.RecordPollAsync(taskId, nextPollAt, progress, ct);
        if (progress is not null)
        {
            notes.Changed(taskId);
        }
    }

    public Task<bool> TryLeaseAsync(string taskId, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken ct)
        => inner.TryLeaseAsync(taskId, owner, now, leaseUntil, ct);

    public Task<bool> TryLeaseDoneAsync(string taskId, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, long? costUsdTicks, CancellationToken ct)
        => inner.TryLeaseDoneAsync(taskId, owner, now, leaseUntil, costUsdTicks, ct);

    public Task ReleaseToTrackingAsync(string taskId, string owner, DateTimeOffset nextPollAt, CancellationToken ct)
        => inner.ReleaseToTrackingAsync(taskId, owner, nextPollAt, ct);

    public Task<IReadOnlyList<UpstreamJobRow>> StrandedSubmitsAsync(DateTimeOffset now, int limit, CancellationToken ct) => inner.StrandedSubmitsAsync(now, limit, ct);

    public Task<UpstreamJobRow?> GetAsync(string taskId, CancellationToken ct) => inner.GetAsync(taskId, ct);

    public Task MarkFinishedAsync(string taskId, CancellationToken ct) => inner.MarkFinishedAsync(taskId, ct);

    public Task<int> PurgeFinishedAsync(CancellationToken ct) => inner.PurgeFinishedAsync(ct);

    public Task<IReadOnlyDictionary<string, int>> InFlightAsync(CancellationToken ct) => inner.InFlightAsync(ct);
}
