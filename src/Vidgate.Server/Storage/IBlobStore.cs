namespace Vidgate.Server.Storage;

/// <summary>An opened blob: a stream plus what HTTP needs for Range, ETag and Last-Modified.</summary>
internal sealed record BlobContent(Stream Stream, long Length, string ETag, DateTimeOffset LastModified);

/// <summary>Where inputs and results live. Implementations: local files (embedded default) and S3-compatible buckets.</summary>
internal interface IBlobStore
{
    /// <summary>Stores bytes durably (flushed to disk) under <paramref name="key"/>.</summary>
    Task PutAsync(string key, ReadOnlyMemory<byte> bytes, CancellationToken ct);

    /// <summary>Moves or copies a finished local file into the store.</summary>
    Task PutFileAsync(string key, string localPath, CancellationToken ct);

    /// <summary>Opens a blob for streaming, or null if missing.</summary>
    Task<BlobContent?> OpenReadAsync(string key, CancellationToken ct);

    /// <summary>Copies a blob to a local file for tools that need a path (ffmpeg).</summary>
    Task CopyToFileAsync(string key, string localPath, CancellationToken ct);

    /// <summary>Deletes every blob whose key starts with <paramref name="prefix"/>.</summary>
    Task DeletePrefixAsync(string prefix, CancellationToken ct);

    /// <summary>
    /// A short-lived URL a client may download the blob from directly (a presigned S3 GET), or null when downloads go
    /// through this server (the default).
    /// </summary>
    Task<Uri?> DownloadUrlAsync(string key, CancellationToken ct) => Task.FromResult<Uri?>(null);

    /// <summary>Null when the store can be used; otherwise what is wrong (start-up check and <c>/readyz</c>).</summary>
    Task<string?> CheckAsync(CancellationToken ct) => Task.FromResult<string?>(null);
}
