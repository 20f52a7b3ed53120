using Microsoft.Extensions.Options;
using Vidgate.Server.Billing;
using Vidgate.Server.Metrics;
using Vidgate.Server.Providers.Registry;
using Vidgate.Server.Storage;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Workers;

/// <summary>
/// The two endings of a task this node holds the lease of, written once for every step: the compare-and-swap in the
/// store and, only when it changed the row, the clean-up (inputs, the remote job's row), the count in <c>/metrics</c>
/// (this caller is the one that ended the task) and the log line. False: the task was cancelled or taken over meanwhile.
/// </summary>
internal sealed partial class TaskEndings(
    ITaskStore store,
    IUpstreamJobStore jobs,
    IBlobStore blobs,
    IBillingStore billing,
    UpstreamRegistry registry,
    VidgateMetrics metrics,
    WorkerIdentity me,
    TimeProvider clock,
    IOptions<VidgateOptions> options,
    ILogger<TaskEndings> logger)
{
    /// <summary>processing → failed (the hold is released); <paramref name="provider"/> is the instance that had it.</summary>
    public async Task<bool> FailAsync(string taskId, string provider, string code, string message)
    {
        if (!await store.FailAsync(taskId, me.Owner, code, message, clock.GetUtcNow(), CancellationToken.None))
        {
            return false;
        }

        await CleanUpAsync(taskId, provider, VideoStatus.Failed);
        Log.Failed(logger, taskId, provider, code, message);
        return true;
    }

    /// <summary>
    /// <see cref="FailAsync"/> for a remote job whose task lease was taken for it: the job's row is marked finished even
    /// when the task had already ended another way (an owner's cancel), so nobody polls it again.
    /// </summary>
    public async Task FailJobAsync(UpstreamJobRow job, string code, string message)
    {
        if (!await FailAsync(job.TaskId, job.ProviderId, code, message))
        {
            await jobs.MarkFinishedAsync(job.TaskId, CancellationToken.None);
        }
    }

    /// <summary>processing → completed (the hold settles on <paramref name="deliveredSeconds"/>, null: as asked).</summary>
    public async Task<bool> CompleteAsync(string taskId, string provider, int? deliveredSeconds)
    {
        var now = clock.GetUtcNow();
        var expires = options.Value.Retention > TimeSpan.Zero ? now + options.Value.Retention : (DateTimeOffset?)null;
        if (!await store.CompleteAsync(taskId, me.Owner, now, expires, deliveredSeconds, CancellationToken.None))
        {
            return false;
        }

        // Visible from here; the clean-up below (another write and a read) is not part of the lag.
        Log.Committed(logger, taskId);
        await CleanUpAsync(taskId, provider, VideoStatus.Completed);
        Log.Completed(logger, taskId, provider);
        return true;
    }

    private async Task CleanUpAsync(string taskId, string provider, VideoStatus status)
    {
        var local = registry.IsLocal(provider);
        if (!local)
        {
            await jobs.MarkFinishedAsync(taskId, CancellationToken.None);
        }

        await blobs.DeletePrefixAsync(TaskBlobs.InputPrefix(taskId), CancellationToken.None);
        HoldClosed? hold = null;
        try
        {
            hold = await billing.ClosedHoldAsync(taskId, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The ending stands; only the money counters miss this one.
            Log.HoldUnread(logger, taskId, ex);
        }

        metrics.TaskFinished(status, VidgateMetrics.ProviderLabel(provider, local), hold);
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Debug, Message = "Task {TaskId}: completion committed")]
        public static partial void Committed(ILogger logger, string taskId);

        [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId} completed on {Provider}")]
        public static partial void Completed(ILogger logger, string taskId, string provider);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId} failed on {Provider}: {Code}: {Message}")]
        public static partial void Failed(ILogger logger, string taskId, string provider, string code, string message);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId} ended, but its hold could not be read for the metrics")]
        public static partial void HoldUnread(ILogger logger, string taskId, Exception exception);
    }
}
