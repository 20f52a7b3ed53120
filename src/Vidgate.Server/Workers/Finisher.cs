using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Options;
using Vidgate.Server.Metrics;
using Vidgate.Server.Providers;
using Vidgate.Server.Providers.Media;
using Vidgate.Server.Storage;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Workers;

/// <summary>
/// Makes a finished upstream video ours: streams it into storage (size cap, time limit, SSRF-guarded where the URL came
/// from the upstream), checks that it really is a video, completes the task, then queues the thumbnail and
/// spritesheet. A download that fails for a passing reason (5xx, timeout, reset) hands the task back to the tracker,
/// which polls again for a fresh URL; the task deadline bounds the retries.
/// </summary>
internal sealed partial class Finisher(
    ITaskStore store,
    IUpstreamJobStore jobs,
    IBlobStore blobs,
    TaskEndings endings,
    FinishQueue queue,
    PreviewQueue previews,
    WorkerIdentity me,
    TimeProvider clock,
    IOptions<VidgateOptions> vidgate,
    IOptions<UpstreamOptions> options,
    ILogger<Finisher> logger) : BackgroundService
{
    // A result download that keeps failing is retried less and less often, up to this.
    private static readonly TimeSpan MaxDownloadRetryWait = TimeSpan.FromSeconds(30);
    private readonly TransientRetries _retries = new();

    // A slot is a download and store in progress (FinishConcurrency); a finish gives its slot back before its ending, which
    // waits for a group commit shared with every other ending and needs no slot. With the slot held to the commit, a
    // node's finish rate was its slots ÷ the commit's latency, and under a create burst finished jobs queued here for up
    // to a minute (docs/benchmarks.md, "Finishes before submits").
    private readonly SemaphoreSlim _slots = new(options.Value.FinishConcurrency, options.Value.FinishConcurrency);

    // The finishes in flight: a stopping node waits for them (their downloads see the stop) before the host goes on.
    private readonly ConcurrentDictionary<Task, byte> _running = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var job in queue.ReadAllAsync(stoppingToken))
            {
                await _slots.WaitAsync(stoppingToken);
                var run = RunAsync(job, stoppingToken);
                _running.TryAdd(run, 0);
                _ = run.ContinueWith(done => _running.TryRemove(done, out _), CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down: leases lapse and the tracker finds the jobs done again after the restart.
        }

        try
        {
            await Task.WhenAll(_running.Keys);
        }
        catch (Exception)
        {
            // Each finish logs its own failure; stopping only waits for them.
        }
    }

    private async Task RunAsync(FinishJob job, CancellationToken ct)
    {
        var released = 0;
        void ReleaseSlot()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                _slots.Release();
            }
        }

        try
        {
            await FinishAsync(job, ReleaseSlot, ct);
        }
        finally
        {
            ReleaseSlot();
            queue.Done(job.Job.TaskId);
        }
    }

    /// <summary>Finishes one job; <paramref name="stored"/> is called once the video is ours and only its ending is left.</summary>
    public async Task FinishAsync(FinishJob finish, Action stored, CancellationToken ct)
    {
        using var span = VidgateTracing.Step("finish", finish.Job.TaskId);
        var started = clock.GetTimestamp();
        var taskId = finish.Job.TaskId;
        var provider = finish.Job.ProviderId;
        var work = Path.Combine(vidgate.Value.WorkRoot, $"{taskId}-result-{Guid.NewGuid():N}");
        using var heartbeatStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var heartbeat = HeartbeatAsync(taskId, heartbeatStop.Token);
        try
        {
            Directory.CreateDirectory(work);
            var file = Path.Combine(work, "video.mp4");

            // A node stopped between storing this job's video and completing the task: the stored video is this job's
            // result, so it is used as it is rather than downloaded and stored a second time.
            var storedEarlier = await StoredResult.TryCopyAsync(blobs, taskId, file, ct);
            var problem = storedEarlier ? null : await DownloadAsync(finish, file, ct);
            var downloaded = clock.GetTimestamp();
            if (problem is { Retry: true })
            {
                Log.DownloadRetry(logger, taskId, problem.Message);
                await jobs.ReleaseToTrackingAsync(taskId, me.Owner, clock.GetUtcNow() + _retries.Failed(taskId, MaxDownloadRetryWait), CancellationToken.None);
                return;
            }

            _retries.Succeeded(taskId);
            if (problem is not null)
            {
                await endings.FailAsync(taskId, provider, problem.Code, problem.Message);
                return;
            }

            var (facts, invalid) = await VideoCheck.InspectAsync(file, ct);
            if (invalid is not null)
            {
                await endings.FailAsync(taskId, provider, "upstream_result_invalid", "The upstream provider's result is not a playable video: " + invalid + ".");
                return;
            }

            if (!storedEarlier)
            {
                await blobs.PutFileAsync(TaskBlobs.Video(taskId), file, CancellationToken.None);
            }

            await heartbeatStop.CancelAsync();
            await heartbeat;
            var storedAt = clock.GetTimestamp();
            stored();
            // Billing settles on what was delivered: the upstream's own figure, else the file's duration (rounded up, so
            // 7.96 s of an 8 s clip is 8 s); never more than was asked for (the ledger caps it).
            var delivered = finish.Done.ActualSeconds ?? (facts!.Duration is { } d ? (int)Math.Ceiling(d.TotalSeconds - 0.05) : null);
            var completed = await endings.CompleteAsync(taskId, provider, delivered);
            Log.Stages(logger, taskId, Ms(finish.SeenAt, finish.LeasedAt), Ms(finish.LeasedAt, started), Ms(started, downloaded),
                Ms(downloaded, storedAt), Ms(storedAt, clock.GetTimestamp()));
            if (completed)
            {
                previews.Enqueue(new PreviewJob(taskId, work + "-previews",
                    facts!.Duration ?? (finish.Done.ActualSeconds is { } s ? TimeSpan.FromSeconds(s) : null)));
            }
            else if (await store.GetAsync(taskId, null, CancellationToken.None) is not { Status: VideoStatus.Completed })
            {
                // Cancelled while we downloaded: this result must never be shown. (Completed by another node's finisher
                // of the same job: the stored video is the same one, so it stays.)
                await blobs.DeletePrefixAsync(TaskBlobs.OutputPrefix(taskId), CancellationToken.None);
                Log.Discarded(logger, taskId);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutting down: the lease lapses and the job is polled again after the restart.
        }
        catch (Exception ex)
        {
            Log.Crashed(logger, taskId, ex);
            await jobs.ReleaseToTrackingAsync(taskId, me.Owner, clock.GetUtcNow() + _retries.Failed(taskId, MaxDownloadRetryWait), CancellationToken.None);
        }
        finally
        {
            await heartbeatStop.CancelAsync();
            await heartbeat;
            WorkFolders.TryDelete(work);
        }
    }

    private long Ms(long from, long to) => (long)clock.GetElapsedTime(from, to).TotalMilliseconds;

    private sealed record Problem(string Code, string Message, bool Retry);

    private async Task<Problem?> DownloadAsync(FinishJob finish, string file, CancellationToken ct)
    {
        using var limit = new CancellationTokenSource(options.Value.ResultTimeout, clock);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct, limit.Token);
        var max = options.Value.MaxResultBytes;
        try
        {
            using var response = await finish.Instance.Provider.OpenResultAsync(finish.Handle, finish.Done, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                var status = (int)response.StatusCode;
                return status >= 500 || response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout
                    ? new Problem("", $"HTTP {status}", Retry: true)
                    : new Problem("upstream_result_unavailable", $"The upstream provider's video could not be downloaded (HTTP {status}).", Retry: false);
            }

            if (response.Content.Headers.ContentLength > max)
            {
                return TooLarge(max);
            }

            await using var source = await response.Content.ReadAsStreamAsync(timeout.Token);
            await using var target = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true);
            var buffer = new byte[81920];
            long total = 0;
            int read;
            while ((read = await source.ReadAsync(buffer, timeout.Token)) > 0)
            {
                total += read;
                if (total > max)
                {
                    return TooLarge(max);
                }

                await target.WriteAsync(buffer.AsMemory(0, read), timeout.Token);
            }

            return null;
        }
        catch (FetchRefusedException ex)
        {
            return new Problem("upstream_result_refused", "The upstream provider's video URL was refused: " + ex.Message + ".", Retry: false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new Problem("", $"no complete download within {options.Value.ResultTimeout.TotalSeconds:0} s", Retry: true);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            return new Problem("", ex.Message, Retry: true);
        }
    }

    private static Problem TooLarge(long max)
        => new("upstream_result_too_large", $"The upstream provider's video is larger than the {max / (1024 * 1024)} MB this server accepts.", Retry: false);

    /// <summary>Keeps the task's lease while a large download runs.</summary>
    private async Task HeartbeatAsync(string taskId, CancellationToken stop)
    {
        var interval = options.Value.PollLease / 3;
        try
        {
            while (true)
            {
                await Task.Delay(interval, clock, stop);
                if (!await store.HeartbeatAsync(taskId, me.Owner, clock.GetUtcNow() + options.Value.PollLease, 0, stop))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Finished.
        }
    }

    private static partial class Log
    {
        // Where a finish spent its time, for the per-task split of docs/benchmarks.md (upstream done → visible).
        [LoggerMessage(Level = LogLevel.Debug, Message = "Task {TaskId} finish stages (ms): lease {Lease}, queued {Queued}, download {Download}, check and store {Store}, ending {Ending}")]
        public static partial void Stages(ILogger logger, string taskId, long lease, long queued, long download, long store, long ending);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId}: result download failed ({Reason}); polling again")]
        public static partial void DownloadRetry(ILogger logger, string taskId, string reason);

        [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId} finished upstream after it was cancelled or taken over; result discarded")]
        public static partial void Discarded(ILogger logger, string taskId);

        [LoggerMessage(Level = LogLevel.Error, Message = "Finishing task {TaskId} failed; polling again")]
        public static partial void Crashed(ILogger logger, string taskId, Exception exception);
    }
}
