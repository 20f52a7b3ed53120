using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Vidgate.Server.Storage;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Storage;

/// <summary>The S3 blob store on a real S3-compatible server (s3rver): bytes stored as-is, multipart, ranges, prefixes, presigned GETs.</summary>
public sealed class S3BlobStoreTests : IAsyncLifetime
{
    private const long PartSize = 5L * 1024 * 1024;
    private S3rverServer _s3 = null!;
    private AmazonS3Client _client = null!;
    private S3BlobStore _store = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _s3 = await S3rverServer.StartAsync();
        _store = Store(redirect: true);
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _s3.DisposeAsync();
    }

    [Fact]
    public async Task Bytes_put_are_the_bytes_read_back_and_a_missing_key_reads_as_null()
    {
        var bytes = RandomBytes(100_000, seed: 1);
        await _store.PutAsync("inputs/t1/0.png", bytes, Ct);

        Assert.Equal(bytes, await ReadAllAsync("inputs/t1/0.png"));
        Assert.Null(await _store.OpenReadAsync("inputs/t1/1.png", Ct));
        var head = await _client.GetObjectMetadataAsync(_s3.Bucket, "inputs/t1/0.png", Ct);
        Assert.Equal("image/png", head.Headers.ContentType);
    }

    [Fact]
    public async Task A_file_larger_than_a_part_is_uploaded_in_parts_stored_as_is_and_removed_locally()
    {
        var bytes = RandomBytes((int)(2 * PartSize + 12_345), seed: 2);
        var local = Path.Combine(Directory.CreateTempSubdirectory("vidgate-s3-").FullName, "video.mp4");
        await File.WriteAllBytesAsync(local, bytes, Ct);

        await _store.PutFileAsync("videos/t2/video.mp4", local, Ct);

        Assert.False(File.Exists(local), "the scratch file must be gone: with S3 a node's disk keeps no results");
        // What the bucket holds, read with the plain SDK: the exact bytes (no aws-chunked signature framing).
        using var plain = await _client.GetObjectAsync(_s3.Bucket, "videos/t2/video.mp4", Ct);
        using var copy = new MemoryStream();
        await plain.ResponseStream.CopyToAsync(copy, Ct);
        Assert.Equal(bytes, copy.ToArray());
        Assert.Equal(3, _s3.Log.Count(line => line.Contains("Stored part", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Seeking_reads_exactly_the_bytes_asked_for_also_across_part_boundaries()
    {
        var bytes = RandomBytes((int)(2 * PartSize + 777), seed: 3);
        await _store.PutAsync("videos/t3/video.mp4", bytes, Ct);
        var content = await _store.OpenReadAsync("videos/t3/video.mp4", Ct);
        Assert.NotNull(content);
        Assert.Equal(bytes.Length, content.Length);
        await using var stream = content.Stream;
        Assert.True(stream.CanSeek);

        foreach (var (offset, count) in new[] { (0L, 10), (PartSize - 5, 10), (2 * PartSize - 100, 500), (bytes.Length - 3, 3), (17L, 1) })
        {
            stream.Seek(offset, SeekOrigin.Begin);
            var buffer = new byte[count];
            await stream.ReadExactlyAsync(buffer, Ct);
            Assert.Equal(bytes.AsSpan((int)offset, count).ToArray(), buffer);
        }

        stream.Seek(0, SeekOrigin.End);
        Assert.Equal(0, await stream.ReadAsync(new byte[4], Ct));
    }

    [Fact]
    public async Task Deleting_a_prefix_removes_exactly_the_objects_under_it()
    {
        foreach (var key in new[] { "videos/a/video.mp4", "videos/a/thumbnail.webp", "videos/ab/video.mp4", "inputs/a/0.png" })
        {
            await _store.PutAsync(key, new byte[] { 1, 2, 3 }, Ct);
        }

        await _store.DeletePrefixAsync("videos/a/", Ct);
        await _store.DeletePrefixAsync("videos/none/", Ct); // nothing there: not an error

        Assert.Null(await _store.OpenReadAsync("videos/a/video.mp4", Ct));
        Assert.Null(await _store.OpenReadAsync("videos/a/thumbnail.webp", Ct));
        Assert.NotNull(await _store.OpenReadAsync("videos/ab/video.mp4", Ct));
        Assert.NotNull(await _store.OpenReadAsync("inputs/a/0.png", Ct));
    }

    [Fact]
    public async Task A_presigned_download_url_serves_the_bytes_without_credentials()
    {
        var bytes = RandomBytes(50_000, seed: 4);
        await _store.PutAsync("videos/t5/video.mp4", bytes, Ct);

        var url = await _store.DownloadUrlAsync("videos/t5/video.mp4", Ct);

        Assert.NotNull(url);
        Assert.StartsWith(_s3.Url, url.AbsoluteUri, StringComparison.Ordinal);
        using var http = new HttpClient();
        Assert.Equal(bytes, await http.GetByteArrayAsync(url, Ct));
        Assert.Null(await Store(redirect: false).DownloadUrlAsync("videos/t5/video.mp4", Ct));
    }

    [Fact]
    public async Task A_bucket_that_does_not_exist_is_reported_and_keys_that_climb_out_are_refused()
    {
        var options = Options(redirect: false);
        options.S3.Bucket = "no-such-bucket";
        var missing = new S3BlobStore(_client, Microsoft.Extensions.Options.Options.Create(options), NullLogger<S3BlobStore>.Instance);

        Assert.Contains("no-such-bucket", await missing.CheckAsync(Ct), StringComparison.Ordinal);
        Assert.Null(await _store.CheckAsync(Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.PutAsync("../etc/passwd", new byte[] { 1 }, Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.OpenReadAsync("/videos/x", Ct));
    }

    private S3BlobStore Store(bool redirect)
    {
        var options = Options(redirect);
        _client ??= StorageExtensions.CreateClient(options.S3);
        return new S3BlobStore(_client, Microsoft.Extensions.Options.Options.Create(options), NullLogger<S3BlobStore>.Instance);
    }

    private StorageOptions Options(bool redirect) => new()
    {
        Provider = "s3",
        S3 = new S3StorageOptions
        {
            ServiceUrl = _s3.Url,
            Bucket = _s3.Bucket,
            AccessKey = S3rverServer.AccessKey,
            SecretKey = S3rverServer.SecretKey,
            ForcePathStyle = true,
            RedirectDownloads = redirect,
            PartSizeBytes = PartSize,
        },
    };

    private async Task<byte[]> ReadAllAsync(string key)
    {
        var content = await _store.OpenReadAsync(key, Ct);
        Assert.NotNull(content);
        await using var stream = content.Stream;
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy, Ct);
        return copy.ToArray();
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
