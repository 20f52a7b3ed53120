namespace Vidgate.Server.Workers;

/// <summary>This node's lease-owner name for remote-provider work (submitter, tracker and finisher share it).</summary>
internal sealed class WorkerIdentity
{
    public string Owner { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
}

/// <summary>Wake-up hints for the remote-provider workers: a task to submit, a job to poll.</summary>
internal sealed class UpstreamSignals
{
    public WorkSignal Submit { get; } = new();

    public WorkSignal Track { get; } = new();
}
