using System.Collections.Concurrent;
using Vidgate.Client;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Client;

/// <summary>Vidgate.Client against a real server process: what an integrating developer depends on, end to end.</summary>
public sealed class ClientEndToEndTests(ClientServer server) : IClassFixture<ClientServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Create_wait_and_download_give_the_requested_video_with_progress_reported()
    {
        var client = server.Client(await server.NewKeyAsync(Ct));

        var created = await client.CreateAsync(ClientServer.Small(), Ct);
        Assert.StartsWith("video_", created.Id, StringComparison.Ordinal);
        Assert.Equal("queued", created.Status);

        var reports = new ConcurrentQueue<int>();
        var done = await client.WaitForCompletionAsync(created.Id, new Inline(reports.Enqueue), Ct);

        Assert.Equal("completed", done.Status);
        Assert.Null(done.Error);
        var seen = reports.ToArray();
        Assert.NotEmpty(seen);
        Assert.Equal(100, seen[^1]);
        Assert.True(seen.Zip(seen.Skip(1)).All(p => p.First < p.Second), "progress went down or repeated: " + string.Join(",", seen));

        var path = Path.Combine(Path.GetTempPath(), $"vidgate-client-{Guid.NewGuid():N}.mp4");
        try
        {
            var written = await client.DownloadToFileAsync(done.Id, path, ct: Ct);
            Assert.Equal(new FileInfo(path).Length, written);
            Assert.False(File.Exists(path + ".part"));
            var probe = await Ffprobe.ProbeAsync(path, Ct);
            Assert.Equal("h264", probe.CodecName);
            Assert.Equal(480, probe.Height);
            Assert.True(probe.Width > probe.Height, $"16:9 must be wider than tall: {probe.Width}x{probe.Height}");
            Assert.Equal(24, probe.Frames);
        }
        finally
        {
            File.Delete(path);
        }

        using var thumbnail = new MemoryStream();
        await client.DownloadAsync(done.Id, thumbnail, VideoVariant.Thumbnail, Ct);
        Assert.Equal("RIFF"u8.ToArray(), thumbnail.ToArray()[..4]);
    }

    [Fact]
    public async Task Images_go_as_data_uris_or_as_multipart_file_parts()
    {
        var client = server.Client(await server.NewKeyAsync(Ct));
        var file = Path.Combine(Path.GetTempPath(), $"vidgate-ref-{Guid.NewGuid():N}.png");
        await File.WriteAllBytesAsync(file, await TestImages.BytesAsync("png"), Ct);
        try
        {
            var image = await VideoImage.FromFileAsync(file, Ct);
            Assert.Equal("image/png", image.ContentType);

            var json = await client.CreateAsync(ClientServer.Small() with { Images = [image] }, Ct);
            await using var jpeg = new MemoryStream(await TestImages.BytesAsync("jpg"));
            var multipart = await client.CreateAsync(
                ClientServer.Small() with { Model = "grok-video-3", Images = [image, await VideoImage.FromStreamAsync(jpeg, ct: Ct)], Upload = ImageUpload.Multipart },
                Ct);
            Assert.Equal("grok-video-3", multipart.Model);

            Assert.Equal("completed", (await client.WaitForCompletionAsync(json.Id, null, Ct)).Status);
            Assert.Equal("completed", (await client.WaitForCompletionAsync(multipart.Id, null, Ct)).Status);
        }
        finally
        {
            File.Delete(file);
        }

        // Multipart is the grok-video-* dialect only: refused before anything is sent, never silently sent as something else.
        var refused = await Assert.ThrowsAsync<ArgumentException>(() =>
            client.CreateAsync(ClientServer.Small() with { Upload = ImageUpload.Multipart }, Ct));
        Assert.Contains("grok-video-", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_follows_the_cursor_across_pages_newest_first()
    {
        var key = await server.NewKeyAsync(Ct);
        var client = server.Client(key);
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await client.CreateAsync(ClientServer.Small($"list test {i}"), Ct)).Id);
        }

        var proxy = await LoopbackProxy.StartAsync(server.BaseUrl);
        await using (proxy)
        {
            var listed = new List<string>();
            await foreach (var video in server.Client(key, proxy.BaseAddress).ListAsync(pageSize: 2, ct: Ct))
            {
                listed.Add(video.Id);
            }

            Assert.Equal(Enumerable.Reverse(ids), listed);
            var pages = proxy.Requests.Where(r => r.PathAndQuery.StartsWith("/v1/videos?", StringComparison.Ordinal)).ToList();
            Assert.Equal(3, pages.Count);
            Assert.Contains($"after={ids[3]}", pages[1].PathAndQuery, StringComparison.Ordinal);
        }

        var ascending = new List<string>();
        await foreach (var video in client.ListAsync(pageSize: 3, ascending: true, ct: Ct))
        {
            ascending.Add(video.Id);
        }

        Assert.Equal(ids, ascending);
        foreach (var id in ids)
        {
            await CancelQuietlyAsync(client, id);
        }
    }

    [Fact]
    public async Task Cancel_ends_a_video_and_waiting_returns_it_cancelled()
    {
        var client = server.Client(await server.NewKeyAsync(Ct));
        var created = await client.CreateAsync(ClientServer.Small() with { Seconds = 10, Resolution = "720P" }, Ct);

        var cancelled = await client.CancelAsync(created.Id, Ct);
        Assert.Equal("cancelled", cancelled.Status);

        var waited = await client.WaitForCompletionAsync(created.Id, null, Ct);
        Assert.Equal("cancelled", waited.Status);

        var again = await Assert.ThrowsAsync<VidgateException>(() => client.CancelAsync(created.Id, Ct));
        Assert.Equal(409, again.Status);
        Assert.Equal("conflict_error", again.Type);
        Assert.Equal("video_already_finished", again.Code);

        var notReady = await Assert.ThrowsAsync<VidgateException>(() => client.DownloadAsync(created.Id, Stream.Null, ct: Ct));
        Assert.Equal(404, notReady.Status);
        Assert.Equal("video_not_ready", notReady.Code);
    }

    [Fact]
    public async Task Delete_removes_the_video_and_later_reads_are_404_video_not_found()
    {
        var client = server.Client(await server.NewKeyAsync(Ct));
        var created = await client.CreateAsync(ClientServer.Small(), Ct);

        var deleted = await client.DeleteAsync(created.Id, Ct);
        Assert.True(deleted.Deleted);
        Assert.Equal(created.Id, deleted.Id);

        var gone = await Assert.ThrowsAsync<VidgateException>(() => client.GetAsync(created.Id, Ct));
        Assert.Equal(404, gone.Status);
        Assert.Equal("not_found_error", gone.Type);
        Assert.Equal("video_not_found", gone.Code);

        // Waiting on a video that does not exist fails at once; it never polls for ever.
        var waited = await Assert.ThrowsAsync<VidgateException>(() => client.WaitForCompletionAsync(created.Id, null, Ct));
        Assert.Equal("video_not_found", waited.Code);
        await foreach (var video in client.ListAsync(ct: Ct))
        {
            Assert.NotEqual(created.Id, video.Id);
        }
    }

    [Fact]
    public async Task Errors_carry_status_type_code_and_param()
    {
        var client = server.Client(await server.NewKeyAsync(Ct));

        var badSeconds = await Assert.ThrowsAsync<VidgateException>(() => client.CreateAsync(ClientServer.Small() with { Seconds = 0 }, Ct));
        Assert.Equal(400, badSeconds.Status);
        Assert.Equal("invalid_request_error", badSeconds.Type);
        Assert.Equal("invalid_seconds", badSeconds.Code);
        Assert.Equal("seconds", badSeconds.Param);
        Assert.Contains("seconds", badSeconds.Message, StringComparison.Ordinal);

        var badAspect = await Assert.ThrowsAsync<VidgateException>(() => client.CreateAsync(ClientServer.Small() with { AspectRatio = "wide" }, Ct));
        Assert.Equal(400, badAspect.Status);
        Assert.Equal("aspect_ratio", badAspect.Param);
        Assert.Equal("invalid_aspect_ratio", badAspect.Code);

        var badKey = await Assert.ThrowsAsync<VidgateException>(() => server.Client("vg_not_a_key").ListModelsAsync(Ct));
        Assert.Equal(401, badKey.Status);
        Assert.Equal("authentication_error", badKey.Type);

        var notAdmin = await Assert.ThrowsAsync<VidgateException>(() => client.ListAccountsAsync(Ct));
        Assert.Equal(403, notAdmin.Status);

        var down = server.Client("k", new Uri($"http://127.0.0.1:{ServerProcess.FreePort()}"));
        var refused = await Assert.ThrowsAsync<VidgateException>(() => down.GetAsync("video_x", Ct));
        Assert.True(refused.IsConnectionError);
        Assert.Equal("connection_error", refused.Type);
        Assert.IsType<HttpRequestException>(refused.InnerException);
    }

    [Fact]
    public async Task The_same_idempotency_key_twice_answers_with_the_same_video()
    {
        var client = server.Client(await server.NewKeyAsync(Ct));
        var request = ClientServer.Small() with { IdempotencyKey = $"order-{Guid.NewGuid():N}" };

        var first = await client.CreateAsync(request, Ct);
        var second = await client.CreateAsync(request, Ct);
        Assert.Equal(first.Id, second.Id);

        var reused = await Assert.ThrowsAsync<VidgateException>(() => client.CreateAsync(request with { Prompt = "something else" }, Ct));
        Assert.Equal(409, reused.Status);
        Assert.Equal("idempotency_key_reused", reused.Code);

        var count = 0;
        await foreach (var _ in client.ListAsync(ct: Ct))
        {
            count++;
        }

        Assert.Equal(1, count);
        await CancelQuietlyAsync(client, first.Id);
    }

    [Fact]
    public async Task A_create_whose_answer_is_lost_or_refused_503_is_retried_and_makes_one_video()
    {
        var key = await server.NewKeyAsync(Ct);
        var proxy = await LoopbackProxy.StartAsync(server.BaseUrl);
        await using (proxy)
        {
            var client = server.Client(key, proxy.BaseAddress);

            proxy.LoseNextCreateAnswer();
            var afterLoss = await client.CreateAsync(ClientServer.Small("lost answer"), Ct);
            proxy.BusyOnNextCreate();
            var afterBusy = await client.CreateAsync(ClientServer.Small("busy server"), Ct);

            var creates = proxy.Requests.Where(r => r.Method == "POST").ToList();
            Assert.Equal(4, creates.Count);
            Assert.All(creates, r => Assert.False(string.IsNullOrEmpty(r.IdempotencyKey)));
            Assert.Equal(creates[0].IdempotencyKey, creates[1].IdempotencyKey);
            Assert.Equal(creates[2].IdempotencyKey, creates[3].IdempotencyKey);
            Assert.NotEqual(creates[0].IdempotencyKey, creates[2].IdempotencyKey);

            var listed = new List<string>();
            await foreach (var video in client.ListAsync(ct: Ct))
            {
                listed.Add(video.Id);
            }

            Assert.Equal([afterBusy.Id, afterLoss.Id], listed);
            await CancelQuietlyAsync(client, afterLoss.Id);
            await CancelQuietlyAsync(client, afterBusy.Id);
        }
    }

    [Fact]
    public async Task A_download_cut_off_mid_body_resumes_with_range_and_if_range_and_the_file_is_whole()
    {
        var key = await server.NewKeyAsync(Ct);
        var client = server.Client(key);
        var created = await client.CreateAsync(ClientServer.Small(), Ct);
        Assert.Equal("completed", (await client.WaitForCompletionAsync(created.Id, null, Ct)).Status);
        using var direct = new MemoryStream();
        await client.DownloadAsync(created.Id, direct, ct: Ct);

        var proxy = await LoopbackProxy.StartAsync(server.BaseUrl);
        await using (proxy)
        {
            using var resumed = new WatchedStream();
            proxy.DropContentBodies(2, resumed.ReachedAsync);
            var written = await server.Client(key, proxy.BaseAddress).DownloadAsync(created.Id, resumed, ct: Ct);

            Assert.Equal(direct.Length, written);
            Assert.Equal(direct.ToArray(), resumed.ToArray());
            var gets = proxy.Requests.Where(r => r.PathAndQuery.Contains("/content", StringComparison.Ordinal)).ToList();
            Assert.Equal(3, gets.Count);
            Assert.Null(gets[0].Range);
            Assert.Equal($"bytes={direct.Length / 2}-", gets[1].Range);
            Assert.False(string.IsNullOrEmpty(gets[1].IfRange));
            Assert.StartsWith("bytes=", gets[2].Range, StringComparison.Ordinal);

            // Cut off more often than the client may resume: one error, and no half file left behind.
            proxy.DropContentBodies(100);
            var path = Path.Combine(Path.GetTempPath(), $"vidgate-cut-{Guid.NewGuid():N}.mp4");
            var cut = await Assert.ThrowsAsync<VidgateException>(() =>
                server.Client(key, proxy.BaseAddress, o => o.MaxDownloadResumes = 1).DownloadToFileAsync(created.Id, path, ct: Ct));
            Assert.True(cut.IsConnectionError);
            Assert.False(File.Exists(path));
            Assert.False(File.Exists(path + ".part"));
        }
    }

    [Fact]
    public async Task A_download_whose_file_changed_before_the_resume_restarts_or_refuses_to_mix_versions()
    {
        var key = await server.NewKeyAsync(Ct);
        var client = server.Client(key);
        var created = await client.CreateAsync(ClientServer.Small(), Ct);
        Assert.Equal("completed", (await client.WaitForCompletionAsync(created.Id, null, Ct)).Status);
        using var direct = new MemoryStream();
        await client.DownloadAsync(created.Id, direct, ct: Ct);

        var proxy = await LoopbackProxy.StartAsync(server.BaseUrl);
        await using (proxy)
        {
            proxy.ChangeIfRange();
            var through = server.Client(key, proxy.BaseAddress);

            // Seekable: the server's 200 (If-Range did not match) replaces the half already written.
            using var seekable = new WatchedStream();
            proxy.DropContentBodies(1, seekable.ReachedAsync);
            Assert.Equal(direct.Length, await through.DownloadAsync(created.Id, seekable, ct: Ct));
            Assert.Equal(direct.ToArray(), seekable.ToArray());
            var gets = proxy.Requests.Where(r => r.PathAndQuery.Contains("/content", StringComparison.Ordinal)).ToList();
            Assert.Equal(2, gets.Count);
            Assert.NotNull(gets[1].Range);

            // Not seekable: the half cannot be taken back, so the download fails instead of appending a second version.
            using var sink = new WatchedStream();
            proxy.DropContentBodies(1, sink.ReachedAsync);
            var changed = await Assert.ThrowsAsync<VidgateException>(() => through.DownloadAsync(created.Id, new ForwardOnly(sink), ct: Ct));
            Assert.Equal("content_changed", changed.Code);
            Assert.Equal(direct.Length / 2, sink.Length);
        }
    }

    [Fact]
    public async Task A_destination_that_cannot_be_written_fails_the_download_without_resuming()
    {
        var key = await server.NewKeyAsync(Ct);
        var client = server.Client(key);
        var created = await client.CreateAsync(ClientServer.Small(), Ct);
        Assert.Equal("completed", (await client.WaitForCompletionAsync(created.Id, null, Ct)).Status);

        var proxy = await LoopbackProxy.StartAsync(server.BaseUrl);
        await using (proxy)
        {
            var full = await Assert.ThrowsAsync<IOException>(() => server.Client(key, proxy.BaseAddress).DownloadAsync(created.Id, new FullDisk(), ct: Ct));
            Assert.Equal("No space left on device", full.Message);
            Assert.Single(proxy.Requests, r => r.PathAndQuery.Contains("/content", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Models_and_the_admin_calls_round_trip()
    {
        var models = await server.Admin.ListModelsAsync(Ct);
        Assert.Contains(models, m => m.Id == "grok-imagine-video" && m.Limits.Resolutions.Contains("480P"));

        var account = await server.Admin.CreateAccountAsync(new("client-admin-test", null, null), Ct);
        var topped = await server.Admin.TopUpAsync(account.Id, 2_500_000, "test credit", Ct);
        Assert.Equal(account.BalanceMicros + 2_500_000, topped.BalanceMicros);
        Assert.Contains(await server.Admin.ListAccountsAsync(Ct), a => a.Id == account.Id);

        var key = await server.Admin.CreateKeyAsync(new("client-admin-key", account.Id), Ct);
        Assert.Contains(await server.Admin.ListKeysAsync(Ct), k => k.Id == key.Id && k.AccountId == account.Id);
        await server.Client(key.Key).ListModelsAsync(Ct);
        var revoked = await server.Admin.RevokeKeyAsync(key.Id, Ct);
        Assert.NotNull(revoked.RevokedAt);
        Assert.Equal(401, (await Assert.ThrowsAsync<VidgateException>(() => server.Client(key.Key).ListModelsAsync(Ct))).Status);

        var badTopUp = await Assert.ThrowsAsync<VidgateException>(() => server.Admin.TopUpAsync(account.Id, -5, "nope", Ct));
        Assert.Equal(400, badTopUp.Status);
        Assert.Equal("amount_micros", badTopUp.Param);

        Assert.Empty(await server.Admin.ListProvidersAsync(Ct));
        Assert.Empty(await server.Admin.ListRoutesAsync(Ct));
        var missing = await Assert.ThrowsAsync<VidgateException>(() => server.Admin.DeleteRouteAsync("route_missing", Ct));
        Assert.Equal(404, missing.Status);
    }

    private static async Task CancelQuietlyAsync(VidgateClient client, string id)
    {
        try
        {
            await client.CancelAsync(id, Ct);
        }
        catch (VidgateException e) when (e.Status == 409)
        {
            // Already finished: nothing left to stop.
        }
    }

    /// <summary>A destination that accepts nothing, like a full disk.</summary>
    private sealed class FullDisk : MemoryStream
    {
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
            => ValueTask.FromException(new IOException("No space left on device"));
    }

    /// <summary>A pipe-like destination: written to in order, never rewound.</summary>
    private sealed class ForwardOnly(Stream inner) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);
    }

    /// <summary>A memory stream that tells the proxy when the client has written up to an offset.</summary>
    private sealed class WatchedStream : MemoryStream
    {
        private readonly Lock _gate = new();
        private readonly List<(long Offset, TaskCompletionSource Done)> _waiters = [];

        public Task ReachedAsync(long offset)
        {
            lock (_gate)
            {
                if (Length >= offset)
                {
                    return Task.CompletedTask;
                }

                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((offset, done));
                return done.Task;
            }
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            base.Write(buffer);
            Release();
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            base.Write(buffer, offset, count);
            Release();
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            base.Write(buffer.Span);
            Release();
            return ValueTask.CompletedTask;
        }

        private void Release()
        {
            lock (_gate)
            {
                foreach (var waiter in _waiters.Where(w => Length >= w.Offset).ToList())
                {
                    waiter.Done.TrySetResult();
                    _waiters.Remove(waiter);
                }
            }
        }
    }

    private sealed class Inline(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
