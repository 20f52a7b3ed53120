using Microsoft.Extensions.Options;

namespace Vidgate.Server.Storage;

/// <summary>Blobs as files under <c>{DataDir}/blobs</c>. Writes go to a temp name, are fsynced, then renamed.</summary>
internal sealed class FileBlobStore(IOptions<VidgateOptions> options) : IBlobStore
{
    private readonly string _root = options.Value.BlobRoot;

    public async Task PutAsync(string key, ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        var path = PathOf(key);
        // The temp file sits in the store's root, not beside its key: a delete of the key's folder racing this put must
        // not take the half-written file with it.
        var temp = Path.Combine(_root, Guid.NewGuid().ToString("N") + ".tmp-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await file.WriteAsync(bytes, ct);
                file.Flush(flushToDisk: true);
            }

            MoveIntoPlace(temp, path);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public Task PutFileAsync(string key, string localPath, CancellationToken ct)
    {
        var path = PathOf(key);
        using (var file = new FileStream(localPath, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Flush(flushToDisk: true);
        }

        // Same filesystem in the default layout (work dir sits beside the blobs): a rename, no copy.
        MoveIntoPlace(localPath, path);
        return Task.CompletedTask;
    }

    /// <summary>Renames into place; a delete of the folder between creating it and the rename makes it again (a few times).</summary>
    private static void MoveIntoPlace(string from, string path)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                File.Move(from, path, overwrite: true);
                return;
            }
            catch (DirectoryNotFoundException) when (attempt < 5 && File.Exists(from))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            }
        }
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
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Directory.Delete(folder, recursive: true);
                return Task.CompletedTask;
            }
            catch (DirectoryNotFoundException)
            {
                // Already gone, possibly deleted a moment ago by another sweep or request: deleting is idempotent.
                return Task.CompletedTask;
            }
            catch (IOException) when (attempt < 5 && Directory.Exists(folder))
            {
                // "Directory not empty": a writer (a finishing worker, a racing put) added a file after the recursive
                // delete listed the folder. Go again: a delete racing a write must still leave nothing behind.
            }
        }
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
