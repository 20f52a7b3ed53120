using Microsoft.Extensions.Options;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Live;

/// <summary>Waits for a task to change, reading the store on every hint and every <see cref="LiveOptions.RecheckInterval"/>.</summary>
internal sealed class TaskFollower(
    ITaskStore store, TaskChanges changes, TimeProvider clock, IOptions<LiveOptions> options, IHostApplicationLifetime lifetime)
{
    public TaskWatch Watch(string taskId) => changes.Watch(taskId);

    /// <summary>
    /// The task as soon as its status or progress differs from <paramref name="known"/> (its <see cref="TaskVersion"/>),
    /// or as it is at <paramref name="until"/>; null when it is gone (deleted). <paramref name="watch"/> must have been
    /// taken before <paramref name="known"/> was read. When the node begins to stop it answers at once with the task as it
    /// is (a waiting client gets its answer, or its stream ends and reconnects to another node, instead of a cut connection).
    /// </summary>
    public async Task<VideoTask?> NextAsync(TaskWatch watch, VideoTask known, string? accountId, DateTimeOffset until, CancellationToken ct)
    {
        var version = TaskVersion.Of(known);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(ct, lifetime.ApplicationStopping);
        while (true)
        {
            var left = until - clock.GetUtcNow();
            if (left > TimeSpan.Zero)
            {
                try
                {
                    await watch.WaitAsync(left < options.Value.RecheckInterval ? left : options.Value.RecheckInterval, either.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    return await store.GetAsync(known.Id, accountId, ct);
                }
            }

            var latest = await store.GetAsync(known.Id, accountId, ct);
            if (latest is null || TaskVersion.Of(latest) != version || clock.GetUtcNow() >= until)
            {
                return latest;
            }
        }
    }
}
