using System.Net;
using System.Runtime.InteropServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Options;

namespace Vidgate.Server.Storage;

/// <summary>
/// Blobs as objects in an S3-compatible bucket, stored as-is (the bytes served are the bytes in the bucket). Uploads
/// stream from the file (multipart above <see cref="S3StorageOptions.PartSizeBytes"/>) and the local file is removed
/// afterwards, so a node's disk holds no results; reads stream through <see cref="S3ObjectStream"/>, which turns a
/// seek into a ranged GET, so <c>Range</c> on <c>/content</c> reaches the bucket and no video is held in memory.
/// </summary>
internal sealed partial class S3BlobStore(IAmazonS3 s3, IOptions<StorageOptions> options, ILogger<S3BlobStore> logger) : IBlobStore
{
    private readonly S3StorageOptions _options = options.Value.S3;

    public async Task PutAsync(string key, ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        BlobKey.Checked(key);
        using var body = MemoryMarshal.TryGetArray(bytes, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(bytes.ToArray(), writable: false);
        await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _options.Bucket,
            Key = key,
            InputStream = body,
            AutoCloseStream = false,
            ContentType = ContentTypes.Of(key),
            // Plain payloads: S3-compatible servers that do not speak aws-chunked (s3rver) would store its framing.
            UseChunkEncoding = false,
        }, ct);
    }

    public async Task PutFileAsync(string key, string localPath, CancellationToken ct)
    {
        BlobKey.Checked(key);
        var length = new FileInfo(localPath).Length;
        if (length <= _options.PartSizeBytes)
        {
            await s3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = _options.Bucket,
                Key = key,
                FilePath = localPath,
                ContentType = ContentTypes.Of(key),
                UseChunkEncoding = false,
            }, ct);
        }
        else
        {
            await PutMultipartAsync(key, localPath, length, ct);
        }

        // The contract is "move into the store": the scratch file goes, so with S3 a node's disk keeps no results.
        File.Delete(localPath);
    }

    public async Task<BlobContent?> OpenReadAsync(string key, CancellationToken ct)
    {
        BlobKey.Checked(key);
        GetObjectMetadataResponse head;
        try
        {
            head = await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _options.Bucket, Key = key }, ct);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        var length = head.ContentLength;
        var etag = string.IsNullOrEmpty(head.ETag) ? $"\"{length:x}\"" : head.ETag;
        var modified = head.LastModified is { } at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) : DateTimeOffset.UnixEpoch;
        var stream = new S3ObjectStream(s3, _options.Bucket, key, length, head.ETag, _options.PartSizeBytes);
        return new BlobContent(stream, length, etag, modified);
    }

    public async Task CopyToFileAsync(string key, string localPath, CancellationToken ct)
    {
        BlobKey.Checked(key);
        GetObjectResponse response;
        try
        {
            response = await s3.GetObjectAsync(new GetObjectRequest { BucketName = _options.Bucket, Key = key }, ct);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            throw new FileNotFoundException($"Blob '{key}' does not exist.", key, ex);
        }

        using var owned = response;
        await using var file = new FileStream(localPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        await response.ResponseStream.CopyToAsync(file, ct);
    }

    public async Task DeletePrefixAsync(string prefix, CancellationToken ct)
    {
        BlobKey.FolderOf(prefix);
        var request = new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = prefix };
        while (true)
        {
            var page = await s3.ListObjectsV2Async(request, ct);
            var objects = page.S3Objects ?? [];
            if (objects.Count > 0)
            {
                var delete = new DeleteObjectsRequest { BucketName = _options.Bucket, Quiet = true, Objects = [.. objects.Select(o => new KeyVersion { Key = o.Key })] };
                var result = await s3.DeleteObjectsAsync(delete, ct);
                if (result.DeleteErrors is { Count: > 0 } errors)
                {
                    throw new IOException($"S3 refused to delete {errors.Count} object(s) under '{prefix}': {errors[0].Code} {errors[0].Message}");
                }
            }

            if (page.IsTruncated != true || string.IsNullOrEmpty(page.NextContinuationToken))
            {
                return;
            }

            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    public async Task<Uri?> DownloadUrlAsync(string key, CancellationToken ct)
    {
        if (!_options.RedirectDownloads)
        {
            return null;
        }

        BlobKey.Checked(key);
        var url = await s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = _options.Bucket,
            Key = key,
            Verb = HttpVerb.GET,
            Expires = DateTime.UtcNow + _options.RedirectValidity,
            Protocol = _options.ServiceUrl?.StartsWith("http://", StringComparison.OrdinalIgnoreCase) == true ? Protocol.HTTP : Protocol.HTTPS,
        });
        return new Uri(url);
    }

    /// <summary>Null when the bucket answers; otherwise what is wrong, in one line (start-up check and /readyz).</summary>
    public async Task<string?> CheckAsync(CancellationToken ct)
    {
        try
        {
            await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _options.Bucket, MaxKeys = 1 }, ct);
            return null;
        }
        catch (Exception ex) when (ex is AmazonServiceException or HttpRequestException or IOException or TimeoutException)
        {
            return $"bucket '{_options.Bucket}' at {_options.ServiceUrl ?? "AWS " + _options.Region} is not usable: {ex.Message}";
        }
    }

    private async Task PutMultipartAsync(string key, string localPath, long length, CancellationToken ct)
    {
        var start = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = _options.Bucket,
            Key = key,
            ContentType = ContentTypes.Of(key),
        }, ct);
        try
        {
            var parts = new List<PartETag>();
            for (long position = 0, number = 1; position < length; position += _options.PartSizeBytes, number++)
            {
                var part = await s3.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = _options.Bucket,
                    Key = key,
                    UploadId = start.UploadId,
                    PartNumber = (int)number,
                    FilePath = localPath,
                    FilePosition = position,
                    PartSize = Math.Min(_options.PartSizeBytes, length - position),
                    UseChunkEncoding = false,
                }, ct);
                parts.Add(new PartETag((int)number, part.ETag));
            }

            await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = _options.Bucket,
                Key = key,
                UploadId = start.UploadId,
                PartETags = parts,
            }, ct);
        }
        catch
        {
            try
            {
                await s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _options.Bucket, Key = key, UploadId = start.UploadId }, CancellationToken.None);
            }
            catch (Exception ex) when (ex is AmazonServiceException or HttpRequestException or IOException)
            {
                // The bucket's lifecycle rules (or the next retention sweep) collect an abandoned upload.
                Log.AbortFailed(logger, key, ex);
            }

            throw;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Aborting the multipart upload of {Key} failed")]
        public static partial void AbortFailed(ILogger logger, string key, Exception exception);
    }
}
