using System.Security.Cryptography;
using Vidgate.Server.Storage;

namespace Vidgate.Tests.Storage;

/// <summary>
/// What every <see cref="IBlobStore"/> must do, as the server relies on it: inputs, videos and previews come back
/// byte for byte, a reader never sees half a write, a delete of one task's prefix takes exactly that task's blobs, and a
/// key that could reach outside the store is refused. Each implementation runs it through a subclass.
/// </summary>
public abstract class BlobStoreContract : IAsyncLifetime
{
    private protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The store under test, empty at the start of each test.</summary>
    private protected abstract IBlobStore Store { get; }

    /// <summary>A local scratch folder for <see cref="IBlobStore.PutFileAsync"/> and <see cref="IBlobStore.CopyToFileAsync"/>.</summary>
    private protected string Scratch { get; } = Directory.CreateTempSubdirectory("vidgate-blob-scratch-").FullName;

    /// <summary>Anything the store wrote where it must not (outside its own area); empty when it behaves.</summary>
    private protected virtual IEnumerable<string> Strays() => [];

    public virtual ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public virtual ValueTask DisposeAsync()
    {
        Directory.Delete(Scratch, recursive: true);
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(70_000)]
    [InlineData(3_000_000)]
    public async Task A_put_blob_reads_back_byte_for_byte_with_its_size(int size)
    {
        var bytes = RandomNumberGenerator.GetBytes(size);

        await Store.PutAsync("videos/task_a/video.mp4", bytes, Ct);

        Assert.Equal(bytes, await ReadAsync("videos/task_a/video.mp4"));
        var blob = await OpenAsync("videos/task_a/video.mp4");
        await using var blobStream = blob.Stream;
        Assert.Equal(size, blob.Length);
    }

    [Fact]
    public async Task A_put_file_reads_back_byte_for_byte_and_copies_out_to_a_local_file()
    {
        var bytes = RandomNumberGenerator.GetBytes(200_000);
        var local = Path.Combine(Scratch, "render.mp4");
        await File.WriteAllBytesAsync(local, bytes, Ct);

        await Store.PutFileAsync("videos/task_a/video.mp4", local, Ct);

        Assert.Equal(bytes, await ReadAsync("videos/task_a/video.mp4"));
        var copy = Path.Combine(Scratch, "copy.mp4");
        await Store.CopyToFileAsync("videos/task_a/video.mp4", copy, Ct);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(copy, Ct));
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(1000, 1)]
    [InlineData(99_990, 10)]
    [InlineData(50_000, 30_000)]
    public async Task Any_range_of_a_blob_reads_as_those_bytes(int offset, int length)
    {
        // /content answers Range requests by seeking the opened stream; it must not need to read from the start.
        var bytes = RandomNumberGenerator.GetBytes(100_000);
        await Store.PutAsync("videos/task_a/video.mp4", bytes, Ct);

        var blob = await OpenAsync("videos/task_a/video.mp4");

        await using var blobStream = blob.Stream;
        Assert.True(blob.Stream.CanSeek);
        blob.Stream.Seek(offset, SeekOrigin.Begin);
        var read = new byte[length];
        await blob.Stream.ReadExactlyAsync(read, Ct);

        Assert.Equal(bytes.AsSpan(offset, length).ToArray(), read);
    }

    [Fact]
    public async Task A_missing_blob_opens_as_null_and_cannot_be_copied_out()
    {
        await Store.PutAsync("videos/task_a/video.mp4", new byte[] { 1 }, Ct);

        Assert.Null(await Store.OpenReadAsync("videos/task_a/thumbnail.webp", Ct));
        Assert.Null(await Store.OpenReadAsync("videos/task_b/video.mp4", Ct));
        await Assert.ThrowsAsync<FileNotFoundException>(() => Store.CopyToFileAsync("videos/task_a/thumbnail.webp", Path.Combine(Scratch, "x"), Ct));
        await Assert.ThrowsAsync<FileNotFoundException>(() => Store.CopyToFileAsync("videos/task_b/video.mp4", Path.Combine(Scratch, "x"), Ct));
    }

    [Fact]
    public async Task An_overwrite_replaces_the_bytes_size_and_etag()
    {
        await Store.PutAsync("videos/task_a/thumbnail.webp", "first"u8.ToArray(), Ct);
        string firstTag;
        var first = await OpenAsync("videos/task_a/thumbnail.webp");
        await using (first.Stream)
        {
            firstTag = first.ETag;
        }

        // Same length, right after: a client holding the old ETag must not be told its copy is still current.
        await Store.PutAsync("videos/task_a/thumbnail.webp", "again"u8.ToArray(), Ct);
        Assert.Equal("again"u8.ToArray(), await ReadAsync("videos/task_a/thumbnail.webp"));
        var second = await OpenAsync("videos/task_a/thumbnail.webp");
        await using (second.Stream)
        {
            Assert.NotEqual(firstTag, second.ETag);
        }

        await Store.PutAsync("videos/task_a/thumbnail.webp", "longer than before"u8.ToArray(), Ct);
        var third = await OpenAsync("videos/task_a/thumbnail.webp");
        await using var thirdStream = third.Stream;
        Assert.Equal(18, third.Length);
    }

    [Fact]
    public virtual async Task Concurrent_puts_of_one_key_never_show_a_reader_a_partial_or_mixed_blob()
    {
        var versions = Enumerable.Range(0, 8).Select(i => Enumerable.Repeat((byte)(i + 1), 400_000).ToArray()).ToArray();
        await Store.PutAsync("videos/task_a/video.mp4", versions[0], Ct);

        var writers = Task.WhenAll(versions.Select(v => Task.Run(async () =>
        {
            for (var n = 0; n < 5; n++)
            {
                await Store.PutAsync("videos/task_a/video.mp4", v, Ct);
            }
        }, Ct)));
        var reads = 0;
        while (!writers.IsCompleted || reads < 20)
        {
            var seen = await ReadAsync("videos/task_a/video.mp4");
            Assert.Contains(versions, v => v.AsSpan().SequenceEqual(seen));
            reads++;
        }

        await writers;
        var last = await ReadAsync("videos/task_a/video.mp4");
        Assert.Contains(versions, v => v.AsSpan().SequenceEqual(last));
    }

    [Fact]
    public async Task A_download_in_progress_survives_a_delete_and_an_overwrite()
    {
        var bytes = RandomNumberGenerator.GetBytes(300_000);
        await Store.PutAsync("videos/task_a/video.mp4", bytes, Ct);
        var blob = await OpenAsync("videos/task_a/video.mp4");
        await using var blobStream = blob.Stream;
        var head = new byte[1000];
        await blob.Stream.ReadExactlyAsync(head, Ct);

        await Store.PutAsync("videos/task_a/video.mp4", new byte[10], Ct);
        await Store.DeletePrefixAsync("videos/task_a/", Ct);

        using var rest = new MemoryStream();
        await blob.Stream.CopyToAsync(rest, Ct);
        Assert.Equal(bytes, head.Concat(rest.ToArray()).ToArray());
    }

    [Fact]
    public async Task Deleting_a_prefix_removes_exactly_the_blobs_under_it()
    {
        string[] gone = ["videos/task_a/video.mp4", "videos/task_a/thumbnail.webp", "videos/task_a/deeper/x.bin"];
        string[] kept = ["videos/task_ab/video.mp4", "videos/task/video.mp4", "inputs/task_a/0.png", "videos/task_a.mp4", "videos/other/task_a/video.mp4"];
        foreach (var key in gone.Concat(kept))
        {
            await Store.PutAsync(key, System.Text.Encoding.UTF8.GetBytes(key), Ct);
        }

        await Store.DeletePrefixAsync("videos/task_a/", Ct);

        foreach (var key in gone)
        {
            Assert.Null(await Store.OpenReadAsync(key, Ct));
        }

        foreach (var key in kept)
        {
            Assert.Equal(System.Text.Encoding.UTF8.GetBytes(key), await ReadAsync(key));
        }
    }

    [Fact]
    public async Task Deleting_a_prefix_twice_or_one_that_was_never_written_is_fine()
    {
        await Store.PutAsync("inputs/task_a/0.png", new byte[] { 1 }, Ct);

        await Store.DeletePrefixAsync("inputs/task_a/", Ct);
        await Store.DeletePrefixAsync("inputs/task_a/", Ct);
        await Store.DeletePrefixAsync("inputs/never/", Ct);

        Assert.Null(await Store.OpenReadAsync("inputs/task_a/0.png", Ct));
    }

    [Theory]
    [InlineData("")]
    [InlineData("videos")]
    [InlineData("videos/task_a")]
    [InlineData("/")]
    [InlineData("videos//")]
    [InlineData("/videos/task_a/")]
    [InlineData("videos/../")]
    [InlineData("../")]
    [InlineData("videos/./")]
    public async Task A_prefix_that_is_not_one_folder_deep_and_clean_is_refused_and_deletes_nothing(string prefix)
    {
        // An empty task id once made "videos//": as a plain string prefix that is every video of every user.
        await Store.PutAsync("videos/task_a/video.mp4", new byte[] { 1 }, Ct);

        await Assert.ThrowsAsync<ArgumentException>(() => Store.DeletePrefixAsync(prefix, Ct));

        Assert.NotNull(await ReadAsync("videos/task_a/video.mp4"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("/etc/vidgate-escape")]
    [InlineData("../vidgate-escape")]
    [InlineData("videos/../../vidgate-escape")]
    [InlineData("videos/..")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("videos/task_a/")]
    [InlineData("videos//task_a")]
    [InlineData("videos/./task_a")]
    [InlineData("./videos")]
    [InlineData("videos\\..\\..\\vidgate-escape")]
    [InlineData("videos/task\0a")]
    [InlineData("videos/task\na")]
    [InlineData("videos/naïve clip (1).mp4")]
    [InlineData("videos/~task/x.mp4")]
    [InlineData("videos/task_a/video.mp4.tmp-x")]
    public async Task A_key_with_odd_characters_is_refused_or_stored_as_itself_without_touching_any_other_blob(string key)
    {
        string[] neighbours = ["videos/task_a/video.mp4", "videos", "task_a", "vidgate-escape"];
        foreach (var neighbour in neighbours)
        {
            await Store.PutAsync(neighbour + "/n", System.Text.Encoding.UTF8.GetBytes(neighbour), Ct);
        }

        var payload = RandomNumberGenerator.GetBytes(64);
        try
        {
            await Store.PutAsync(key, payload, Ct);
        }
        catch (ArgumentException)
        {
            await Assert.ThrowsAsync<ArgumentException>(() => Store.OpenReadAsync(key, Ct));
            await Assert.ThrowsAsync<ArgumentException>(() => Store.CopyToFileAsync(key, Path.Combine(Scratch, "out"), Ct));
            await AssertNeighboursAndNoStraysAsync();
            return;
        }

        Assert.Equal(payload, await ReadAsync(key));
        await AssertNeighboursAndNoStraysAsync();

        async Task AssertNeighboursAndNoStraysAsync()
        {
            foreach (var neighbour in neighbours)
            {
                Assert.Equal(System.Text.Encoding.UTF8.GetBytes(neighbour), await ReadAsync(neighbour + "/n"));
            }

            Assert.Empty(Strays());
        }
    }

    private async Task<BlobContent> OpenAsync(string key)
        => await Store.OpenReadAsync(key, Ct) ?? throw new Xunit.Sdk.XunitException($"blob {key} is missing");

    private async Task<byte[]> ReadAsync(string key)
    {
        var blob = await OpenAsync(key);
        await using var blobStream = blob.Stream;
        using var copy = new MemoryStream();
        await blob.Stream.CopyToAsync(copy, Ct);
        return copy.ToArray();
    }
}
