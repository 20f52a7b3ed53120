using Microsoft.Extensions.Options;
using Vidgate.Server.Accounts;
using Vidgate.Server.Billing;
using Vidgate.Server.Dialects;
using Vidgate.Server.Metrics;
using Vidgate.Server.Models;
using Vidgate.Server.Providers.Registry;
using Vidgate.Server.Storage;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Videos;

/// <summary>Request-side logic shared by every dialect: create, read, cancel, delete; all owner-scoped.</summary>
internal sealed partial class VideoService(
    ITaskStore store,
    IBillingStore billingStore,
    BillingPolicy policy,
    RequestLimits limits,
    IBlobStore blobs,
    WorkSignals signals,
    UpstreamRegistry providers,
    VidgateMetrics metrics,
    TimeProvider clock,
    ILogger<VideoService> logger)
{
    /// <summary>
    /// Admits and commits a create: plan and price checks and the rate limit (in memory), then the task, its billing hold
    /// and its idempotency key in one transaction. A retry with the same <paramref name="idempotencyKey"/> and the same
    /// request gets the original task, even when the balance is now too low for a new one.
    /// </summary>
    public async Task<(VideoTask? Task, ApiError? Error)> CreateAsync(
        Caller caller, Dialect dialect, VideoRequest request, string? idempotencyKey, CancellationToken ct)
    {
        var id = VideoTask.NewId();
        var claim = idempotencyKey is null ? null : new IdempotencyClaim(idempotencyKey, Idempotency.Hash(dialect, request));
        if (claim is not null && await billingStore.FindIdempotencyAsync(caller.AccountId, claim.Key, ct) is { } earlier)
        {
            return await EarlierAsync(caller, earlier.TaskId, earlier.RequestHash.AsSpan().SequenceEqual(claim.RequestHash), ct);
        }

        var task = new VideoTask
        {
            Id = id,
            AccountId = caller.AccountId,
            KeyId = caller.KeyId,
            Dialect = dialect,
            Model = request.Model,
            Prompt = request.Prompt,
            Seconds = request.Seconds,
            Width = request.Width,
            Height = request.Height,
            AspectRatio = request.AspectRatio,
            Resolution = request.Resolution,
            // A model with provider routes is planned for its first route; without any it renders on builtin (offline default).
            Provider = providers.PlannedProvider(request.Model),
            RemixedFromId = request.RemixedFromId,
            CallbackUrl = request.CallbackUrl,
            CreatedAt = clock.GetUtcNow(),
        };

        // A request no route can make as asked is the caller's 400, before anything is held or written.
        if (CreateFit.Check(providers, task, request.Images) is { } unfit)
        {
            return (null, unfit);
        }

        // Cheap checks first (memory only): plan, price, rate. No database write happens for a refused create.
        var (hold, refused) = policy.Admit(caller, id, request, claim);
        refused ??= limits.TakeCreate(caller);
        if (refused is not null)
        {
            return (null, refused);
        }

        // Inputs are stored (and flushed) first, so a committed task never points at missing images.
        var inputKeys = new List<string>(request.Images.Count);
        for (var i = 0; i < request.Images.Count; i++)
        {
            var image = request.Images[i];
            var key = TaskBlobs.Input(id, i, image.Extension);
            await blobs.PutAsync(key, image.Bytes, ct);
            inputKeys.Add(key);
        }

        task = task with { InputKeys = inputKeys };

        // Not the request's token: once the insert is in the writer's batch it commits, and the reply must say so.
        var outcome = await store.InsertAsync(task, hold, CancellationToken.None);
        if (outcome is InsertOutcome.Created)
        {
            Log.Created(logger, task.Id, task.Model, task.Width, task.Height, task.Seconds, task.InputKeys.Count);
            metrics.TaskCreated(task);
            (providers.IsLocal(task.Provider) ? signals.Local : signals.Submit).Notify();
            return (task, null);
        }

        if (inputKeys.Count > 0)
        {
            await blobs.DeletePrefixAsync(TaskBlobs.InputPrefix(id), CancellationToken.None);
        }

        return outcome switch
        {
            InsertOutcome.Existing(var earlierId) => await EarlierAsync(caller, earlierId, sameRequest: true, ct),
            InsertOutcome.KeyReused => (null, KeyReused()),
            InsertOutcome.Refused(var reason) => (null, BillingPolicy.Refused(reason)),
            _ => throw new System.Diagnostics.UnreachableException(),
        };
    }

    private static ApiError KeyReused() => ApiError.Conflict(
        "idempotency_key_reused", "This Idempotency-Key was already used with a different request. Use a new key for a new video.");

    private async Task<(VideoTask? Task, ApiError? Error)> EarlierAsync(Caller caller, string taskId, bool sameRequest, CancellationToken ct)
    {
        if (!sameRequest)
        {
            return (null, KeyReused());
        }

        return await store.GetAsync(taskId, caller.AccountId, ct) is { } task
            ? (task, null)
            : (null, ApiError.Conflict("idempotency_key_reused", $"This Idempotency-Key made video '{taskId}', which has since been deleted."));
    }

    public Task<VideoTask?> GetAsync(Caller caller, string id, CancellationToken ct) => store.GetAsync(id, caller.AccountId, ct);

    /// <summary>One page of the caller's tasks; one extra row is read to know whether another page follows.</summary>
    public async Task<(IReadOnlyList<VideoTask> Page, bool HasMore)> ListAsync(
        Caller caller, string? after, int limit, bool descending, TaskListFilter filter, CancellationToken ct)
    {
        var rows = await store.ListAsync(caller.AccountId, after, limit + 1, descending, filter, ct);
        return rows.Count > limit ? ([.. rows.Take(limit)], true) : (rows, false);
    }

    /// <summary>
    /// A new task from a completed one with a new prompt: same model, size and length. The source's thumbnail is the new
    /// task's reference image, so the remix visibly starts from the source.
    /// </summary>
    public async Task<(VideoTask? Task, ApiError? Error)> RemixAsync(
        Caller caller, string sourceId, string prompt, string? idempotencyKey, CancellationToken ct)
    {
        var source = await store.GetAsync(sourceId, caller.AccountId, ct);
        if (source is null)
        {
            return (null, NotFound(sourceId));
        }

        if (source.Status != VideoStatus.Completed)
        {
            return (null, ApiError.Conflict(
                "video_not_completed", $"Video '{sourceId}' is {source.Status.ToString().ToLowerInvariant()}; only a completed video can be remixed."));
        }

        var images = new List<InputImage>(1);
        if (source.ContentDeletedAt is null && await blobs.OpenReadAsync(TaskBlobs.Thumbnail(sourceId), ct) is { } thumbnail)
        {
            await using var stream = thumbnail.Stream;
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, ct);
            var bytes = buffer.ToArray();
            if (ImageSniffer.Sniff(bytes) is { } sniffed)
            {
                images.Add(new InputImage(bytes, sniffed.Kind, sniffed.Width, sniffed.Height));
            }
        }

        var request = new VideoRequest(source.Model, prompt, source.Seconds, source.Width, source.Height, source.AspectRatio, source.Resolution, images)
        {
            RemixedFromId = source.Id,
        };
        return await CreateAsync(caller, Dialect.OpenAi, request, idempotencyKey, ct);
    }

    /// <summary>queued/processing → cancelled, and any render of it on this node is stopped at once.</summary>
    public async Task<(VideoTask? Task, ApiError? Error)> CancelAsync(Caller caller, string id, CancellationToken ct)
    {
        var (task, changed) = await store.CancelAsync(id, caller.AccountId, clock.GetUtcNow(), ct);
        if (task is null)
        {
            return (null, NotFound(id));
        }

        if (!changed)
        {
            return (task, ApiError.Conflict("video_already_finished", $"Video '{id}' is already {task.Status.ToString().ToLowerInvariant()} and cannot be cancelled."));
        }

        signals.Cancelled(id);
        var local = providers.IsLocal(task.Provider);
        metrics.TaskFinished(VideoStatus.Cancelled, VidgateMetrics.ProviderLabel(task.Provider, local), await billingStore.ClosedHoldAsync(id, CancellationToken.None));
        await blobs.DeletePrefixAsync(TaskBlobs.InputPrefix(id), ct);
        Log.Cancelled(logger, id);
        return (task, null);
    }

    /// <summary>Unfinished: cancel. Finished: remove the content and the record.</summary>
    public async Task<ApiError?> DeleteAsync(Caller caller, string id, CancellationToken ct)
    {
        var task = await store.GetAsync(id, caller.AccountId, ct);
        if (task is null)
        {
            return NotFound(id);
        }

        if (!task.IsFinished)
        {
            var (_, error) = await CancelAsync(caller, id, ct);
            if (error is not null && error.Code != "video_already_finished")
            {
                return error;
            }
        }

        // The record goes first: once it is gone no one can be handed a link to content we are deleting.
        if (!await store.DeleteFinishedAsync(id, caller.AccountId, ct))
        {
            return NotFound(id);
        }

        await blobs.DeletePrefixAsync(TaskBlobs.OutputPrefix(id), ct);
        await blobs.DeletePrefixAsync(TaskBlobs.InputPrefix(id), ct);
        Log.Deleted(logger, id);
        return null;
    }

    public static ApiError NotFound(string id) => ApiError.NotFound($"No video with id '{RequestRules.Clip(id)}'.", "video_not_found");

    private static partial class Log
    {
        // Debug, not Information: one line per create was a tenth of a create's CPU at load (docs/benchmarks.md, "Create
        // CPU"); the created task is in the answer and in vidgate_tasks_created_total, and its ending is logged.
        [LoggerMessage(Level = LogLevel.Debug, Message = "Task {TaskId} created: {Model} {Width}x{Height} {Seconds}s, {Images} image(s)")]
        public static partial void Created(ILogger logger, string taskId, string model, int width, int height, int seconds, int images);

        [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId} cancelled by its owner")]
        public static partial void Cancelled(ILogger logger, string taskId);

        [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId} deleted by its owner")]
        public static partial void Deleted(ILogger logger, string taskId);
    }
}
