using Vidgate.Server.Providers;
using Vidgate.Server.Providers.Registry;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Workers;

/// <summary>
/// Asking an upstream to stop a job, written once: bounded by the instance's request timeout (read through the
/// <see cref="TimeProvider"/>), never throwing; a failed cancel only means the upstream finishes a job nobody fetches.
/// </summary>
internal sealed partial class UpstreamCancel(TimeProvider clock, ILogger<UpstreamCancel> logger)
{
    /// <summary>The handle of a stored job, with the key it was accepted with (the first key if that one was removed).</summary>
    public static UpstreamHandle Handle(UpstreamJobRow job, UpstreamInstance instance)
    {
        var keys = instance.Settings.ApiKeys;
        var index = job.KeyIndex < keys.Count ? job.KeyIndex : 0;
        return new UpstreamHandle(job.ProviderId, job.UpstreamId ?? "", index, keys[index], job.State);
    }

    /// <summary>True when the upstream answered the cancel.</summary>
    public async Task<bool> TryAsync(string taskId, UpstreamInstance instance, UpstreamHandle handle)
    {
        try
        {
            using var timeout = new CancellationTokenSource(instance.Settings.RequestTimeout, clock);
            await instance.Provider.CancelAsync(handle, timeout.Token);
            return true;
        }
        catch (Exception ex)
        {
            Log.Failed(logger, taskId, instance.Settings.Id, ex.Message);
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId}: cancel on {Provider} failed: {Reason}")]
        public static partial void Failed(ILogger logger, string taskId, string provider, string reason);
    }
}
