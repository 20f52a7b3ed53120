using Vidgate.Server.Tasks;

namespace Vidgate.Server.Live;

/// <summary>
/// A number that grows with every change a client can see of a task's status or progress: the SSE event id, which
/// <c>Last-Event-ID</c> brings back. Built from what the row already holds, so no column and no write is added. A task
/// moves through phases that only go forward: queued (attempt 0), processing (attempt 1), queued again after a lapsed
/// lease or deferral (still attempt 1), processing (attempt 2), …, ended; and progress never goes down (the stores
/// write <c>MAX(progress, new)</c>).
/// </summary>
internal static class TaskVersion
{
    public static long Of(VideoTask task)
    {
        long attempts = Math.Max(task.Attempts, 0);
        var phase = task.Status switch
        {
            VideoStatus.Queued => 2 * attempts,
            VideoStatus.Processing => (2 * attempts) - 1,
            _ => (2 * attempts) + 1,
        };
        return (phase * 1000) + Math.Clamp(task.Progress, 0, 100);
    }
}
