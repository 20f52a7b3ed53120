namespace Vidgate.Server.Workers;

/// <summary>This node's lease-owner name: every step of the pipeline on this node leases tasks under it.</summary>
internal sealed class WorkerIdentity
{
    public string Owner { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
}
