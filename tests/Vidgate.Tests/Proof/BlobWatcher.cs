using System.Collections.Concurrent;

namespace Vidgate.Tests.Proof;

/// <summary>
/// Counts the writes of each task's video into the local blob store (<c>blobs/videos/{id}/video.mp4</c>), seen by the
/// operating system (inotify), not by the server's own account: a result stored twice shows as two writes.
/// </summary>
internal sealed class BlobWatcher : IDisposable
{
    private readonly FileSystemWatcher _watcher;
    private readonly ConcurrentDictionary<string, int> _writes = new(StringComparer.Ordinal);

    private BlobWatcher(string folder)
    {
        _watcher = new FileSystemWatcher(folder) { IncludeSubdirectories = true, NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName };
        _watcher.Created += (_, e) => Count(e.FullPath);
        _watcher.Renamed += (_, e) => Count(e.FullPath);
        _watcher.EnableRaisingEvents = true;
    }

    /// <summary>Video writes by task id.</summary>
    public IReadOnlyDictionary<string, int> Writes => _writes;

    public static BlobWatcher Start(string dataDir)
    {
        var folder = Path.Combine(dataDir, "blobs", "videos");
        Directory.CreateDirectory(folder);
        return new BlobWatcher(folder);
    }

    public void Dispose() => _watcher.Dispose();

    private void Count(string path)
    {
        if (Path.GetFileName(path) == "video.mp4" && Path.GetFileName(Path.GetDirectoryName(path)) is { Length: > 0 } task)
        {
            _writes.AddOrUpdate(task, 1, (_, n) => n + 1);
        }
    }
}
