namespace Vidgate.Server.Live;

/// <summary>What a store write tells after it changed a task: this node's watchers at once, the other nodes through the relay.</summary>
internal sealed class TaskChangeNotes(TaskChanges local, ITaskChangeRelay relay)
{
    public void Changed(string taskId)
    {
        local.Publish(taskId);
        relay.Announce(taskId);
    }

    public void AllChanged()
    {
        local.PublishAll();
        relay.AnnounceAll();
    }
}
