namespace Vidgate.Server.Storage;

/// <summary>An opened blob: a stream plus what HTTP needs for Range, ETag and Last-Modified.</summary>
internal sealed record BlobContent(Stream Stream, long Length, string ETag, DateTimeOffset LastModified);

/// <summary>
/// Where inputs and results live. Implementations: local files (embedded default) and S3-compatible buckets. Keys have
/// the shape <see cref="BlobKey"/> checks; others are an <see cref="ArgumentException"/>. The behaviour every
/// implementation must have is stated by the contract suite (tests/Vidgate.Tests/Storage/BlobStoreContract.cs).
/// </summary>
internal interface IBlobStore
{
    /// <summary>Stores bytes durably (flushed to disk) under <paramref name="key"/>.</summary>
    Task PutAsync(string key, ReadOnlyMemory<byte> bytes, CancellationToken ct);

    /// <summary>Moves or copies a finished local file into the store.</summary>
    Task PutFileAsync(string key, string localPath, CancellationToken ct);

    /// <summary>Opens a blob for streaming (seekable, for Range), or null if missing. An open stream outlives a delete or overwrite.</summary>
    Task<BlobContent?> OpenReadAsync(string key, CancellationToken ct);

    /// <summary>Copies a blob to a local file for tools that need a path (ffmpeg); <see cref="FileNotFoundException"/> if missing.</summary>
    Task CopyToFileAsync(string key, string localPath, CancellationToken ct);

    /// <summary>
    /// Deletes every blob under the folder <paramref name="prefix"/> names ("videos/{id}/", with the slash): exactly those,
    /// not "videos/{id}x/...". Idempotent. A prefix that is not such a folder is an <see cref="ArgumentException"/>.
    /// </summary>
    Task DeletePrefixAsync(string prefix, CancellationToken ct);

    /// <summary>
    /// A short-lived URL a client may download the blob from directly (a presigned S3 GET), or null when downloads go
    /// through this server (the default).
    /// </summary>
    Task<Uri?> DownloadUrlAsync(string key, CancellationToken ct) => Task.FromResult<Uri?>(null);

    /// <summary>Null when the store can be used; otherwise what is wrong (start-up check and <c>/readyz</c>).</summary>
    Task<string?> CheckAsync(CancellationToken ct) => Task.FromResult<string?>(null);
}
