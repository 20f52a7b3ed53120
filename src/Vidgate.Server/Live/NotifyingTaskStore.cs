using Vidgate.Server.Tasks;

namespace Vidgate.Server.Live;

/// <summary>
/// <see cref="ITaskStore"/> with change hints: every write that changed a task's status or progress (as its answer says)
/// publishes the task's id after it committed, so a watcher that is woken reads the new state. Reads and the insert pass
/// straight through (nobody can watch a task before its create answered). Decorating the seam, rather than each engine's
/// statements, gives both engines the same hints and keeps the store knowing nothing of who listens.
/// </summary>
internal sealed class NotifyingTaskStore(ITaskStore inner, TaskChangeNotes notes) : ITaskStore
{
    public Task InsertAsync(VideoTask task, CancellationToken ct) => inner.InsertAsync(task, ct);

    public Task<InsertOutcome> InsertAsync(VideoTask task, InsertTerms? terms, CancellationToken ct) => inner.InsertAsync(task, terms, ct);

    public Task<VideoTask?> GetAsync(string id, string? accountId, CancellationToken ct) => inner.GetAsync(id, accountId, ct);

    public Task<IReadOnlyList<VideoTask>> ListAsync(string accountId, string? after, int limit, bool descending, CancellationToken ct)
        => inner.ListAsync(accountId, after, limit, descending, ct);

    public Task<IReadOnlyList<VideoTask>> ListAsync(string accountId, string? after, int limit, bool descending, TaskListFilter filter, CancellationToken ct)
        => inner.ListAsync(accountId, after, limit, descending, filter, ct);

    public Task<QueueSnapshot> QueueAsync(int oldest, CancellationToken ct) => inner.QueueAsync(oldest, ct);

    public async Task<VideoTask?> TryClaimAsync(IReadOnlyCollection<string> providers, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken ct)
        => Claimed(await inner.TryClaimAsync(providers, owner, now, leaseUntil, ct));

    public async Task<VideoTask?> TryClaimExceptAsync(IReadOnlyCollection<string> except, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken ct)
        => Claimed(await inner.TryClaimExceptAsync(except, owner, now, leaseUntil, ct));

    public async Task<bool> HeartbeatAsync(string id, string owner, DateTimeOffset leaseUntil, int progress, CancellationToken ct)
        => Changed(id, await inner.HeartbeatAsync(id, owner, leaseUntil, progress, ct));

    public Task<bool> CompleteAsync(string id, string owner, DateTimeOffset now, DateTimeOffset? expiresAt, CancellationToken ct)
        => CompleteAsync(id, owner, now, expiresAt, null, ct);

    public async Task<bool> CompleteAsync(string id, string owner, DateTimeOffset now, DateTimeOffset? expiresAt, int? actualSeconds, CancellationToken ct)
        => Changed(id, await inner.CompleteAsync(id, owner, now, expiresAt, actualSeconds, ct));

    public async Task<bool> FailAsync(string id, string owner, string code, string message, DateTimeOffset now, CancellationToken ct)
        => Changed(id, await inner.FailAsync(id, owner, code, message, now, ct));

    public async Task<bool> ReleaseAsync(string id, string owner, CancellationToken ct)
        => Changed(id, await inner.ReleaseAsync(id, owner, ct));

    public async Task<(VideoTask? Task, bool Changed)> CancelAsync(string id, string accountId, DateTimeOffset now, CancellationToken ct)
    {
        var result = await inner.CancelAsync(id, accountId, now, ct);
        Changed(id, result.Changed);
        return result;
    }

    public async Task<bool> DeleteFinishedAsync(string id, string accountId, CancellationToken ct)
        => Changed(id, await inner.DeleteFinishedAsync(id, accountId, ct));

    public async Task<int> RequeueLapsedAsync(DateTimeOffset now, CancellationToken ct)
    {
        // The statement does not say which tasks it re-queued; rare (a node died), so every watcher looks again.
        var requeued = await inner.RequeueLapsedAsync(now, ct);
        if (requeued > 0)
        {
            notes.AllChanged();
        }

        return requeued;
    }

    public Task<IReadOnlyList<string>> ExpiredContentAsync(DateTimeOffset now, int limit, CancellationToken ct) => inner.ExpiredContentAsync(now, limit, ct);

    public async Task MarkContentDeletedAsync(string id, DateTimeOffset now, CancellationToken ct)
    {
        await inner.MarkContentDeletedAsync(id, now, ct);
        notes.Changed(id);
    }

    public Task<IReadOnlyList<TaskCount>> CountAsync(CancellationToken ct) => inner.CountAsync(ct);

    public Task<bool> PingAsync(CancellationToken ct) => inner.PingAsync(ct);

    private VideoTask? Claimed(VideoTask? task)
    {
        if (task is not null)
        {
            notes.Changed(task.Id);
        }

        return task;
    }

    private bool Changed(string id, bool changed)
    {
        if (changed)
        {
            notes.Changed(id);
        }

        return changed;
    }
}
