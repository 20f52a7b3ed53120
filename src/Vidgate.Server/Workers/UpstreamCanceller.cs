using Vidgate.Server.Providers.Registry;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Workers;

/// <summary>
/// Best-effort upstream cancel when an owner cancels or deletes a remote task (told through <see cref="WorkSignals.Cancelled"/>,
/// on every node, API-only ones included). In the background: the caller's answer
/// never waits on an upstream, and a failed cancel only means the upstream finishes a job nobody will fetch. (A local
/// render is stopped through <see cref="RunningTasks"/> and the heartbeat instead: it has no job row.)
/// </summary>
internal sealed partial class UpstreamCanceller(
    IUpstreamJobStore jobs, UpstreamRegistry registry, UpstreamCancel cancel, WorkSignals signals, ILogger<UpstreamCanceller> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        signals.OnCancelled(taskId => _ = CancelAsync(taskId));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task CancelAsync(string taskId)
    {
        try
        {
            if (await jobs.GetAsync(taskId, CancellationToken.None) is not { UpstreamId: not null } job)
            {
                return;
            }

            await jobs.MarkFinishedAsync(taskId, CancellationToken.None);
            if (registry.Instance(job.ProviderId) is { } instance && await cancel.TryAsync(taskId, instance, UpstreamCancel.Handle(job, instance)))
            {
                Log.Cancelled(logger, taskId, job.ProviderId);
            }
        }
        catch (Exception ex)
        {
            Log.Failed(logger, taskId, ex.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId}: asked {Provider} to stop its job")]
        public static partial void Cancelled(ILogger logger, string taskId, string provider);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId}: upstream cancel failed: {Reason}")]
        public static partial void Failed(ILogger logger, string taskId, string reason);
    }
}
