using Microsoft.Extensions.Options;

namespace Vidgate.Server.Storage;

/// <summary>Blobs as files under <c>{DataDir}/blobs</c>. Writes go to a temp name, are fsynced, then renamed.</summary>
internal sealed class FileBlobStore(IOptions<VidgateOptions> options) : IBlobStore
{
    private readonly string _root = options.Value.BlobRoot;

    public async Task PutAsync(string key, ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        var path = PathOf(key);
        var temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
        {
            await file.WriteAsync(bytes, ct);
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }

    public Task PutFileAsync(string key, string localPath, CancellationToken ct)
    {
        var path = PathOf(key);
        using (var file = new FileStream(localPath, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Flush(flushToDisk: true);
        }

        // Same filesystem in the default layout (work dir sits beside the blobs): a rename, no copy.
        File.Move(localPath, path, overwrite: true);
        return Task.CompletedTask;
    }

    public Task<BlobContent?> OpenReadAsync(string key, CancellationToken ct)
    {
        var info = new FileInfo(PathOf(key, create: false));
        if (!info.Exists)
        {
            return Task.FromResult<BlobContent?>(null);
        }

        try
        {
            var stream = new FileStream(info.FullName, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
            var etag = $"\"{info.Length:x}-{info.LastWriteTimeUtc.Ticks:x}\"";
            return Task.FromResult<BlobContent?>(new BlobContent(stream, info.Length, etag, new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero)));
        }
        catch (FileNotFoundException)
        {
            return Task.FromResult<BlobContent?>(null);
        }
    }

    public Task CopyToFileAsync(string key, string localPath, CancellationToken ct)
    {
        try
        {
            File.Copy(PathOf(key, create: false), localPath, overwrite: true);
        }
        catch (DirectoryNotFoundException e)
        {
            // The task's folder is gone, not the caller's: that is a missing blob, as a missing file in it would be.
            throw new FileNotFoundException($"Blob '{key}' does not exist.", key, e);
        }

        return Task.CompletedTask;
    }

    public Task DeletePrefixAsync(string prefix, CancellationToken ct)
    {
        // Prefixes are folders in this layout ("videos/{id}/", "inputs/{id}/"); BlobKey refuses anything else, so an
        // empty id ("videos//") can never widen a delete to every task's blobs.
        var folder = PathOf(BlobKey.FolderOf(prefix), create: false);
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Already gone, possibly deleted a moment ago by another sweep or request: deleting is idempotent.
        }

        return Task.CompletedTask;
    }

    private string PathOf(string key, bool create = true)
    {
        var path = Path.Combine(_root, BlobKey.Checked(key));
        if (create)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        }

        return path;
    }
}
