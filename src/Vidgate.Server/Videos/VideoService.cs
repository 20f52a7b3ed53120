using Microsoft.Extensions.Options;
using Vidgate.Server.Accounts;
using Vidgate.Server.Dialects;
using Vidgate.Server.Hosting;
using Vidgate.Server.Models;
using Vidgate.Server.Storage;
using Vidgate.Server.Tasks;
using Vidgate.Server.Workers;

namespace Vidgate.Server.Videos;

/// <summary>Request-side logic shared by every dialect: create, read, cancel, delete; all owner-scoped.</summary>
internal sealed partial class VideoService(
    ITaskStore store,
    IBlobStore blobs,
    ModelCatalog catalog,
    WorkSignal signal,
    RunningTasks running,
    TimeProvider clock,
    ILogger<VideoService> logger)
{
    public async Task<VideoTask> CreateAsync(Caller caller, Dialect dialect, VideoRequest request, CancellationToken ct)
    {
        var id = VideoTask.NewId();

        // Inputs are stored (and flushed) first, so a committed task never points at missing images.
        var inputKeys = new List<string>(request.Images.Count);
        for (var i = 0; i < request.Images.Count; i++)
        {
            var image = request.Images[i];
            var key = TaskBlobs.Input(id, i, image.Extension);
            await blobs.PutAsync(key, image.Bytes, ct);
            inputKeys.Add(key);
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
            InputKeys = inputKeys,
            Provider = catalog.Find(request.Model)!.Provider,
            CreatedAt = clock.GetUtcNow(),
        };

        // Not the request's token: once the insert is in the writer's batch it commits, and the reply must say so.
        await store.InsertAsync(task, CancellationToken.None);
        Log.Created(logger, task.Id, task.Model, task.Width, task.Height, task.Seconds, task.InputKeys.Count);
        signal.Notify();
        return task;
    }

    public Task<VideoTask?> GetAsync(Caller caller, string id, CancellationToken ct) => store.GetAsync(id, caller.AccountId, ct);

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

        running.Cancel(id);
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
        [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId} created: {Model} {Width}x{Height} {Seconds}s, {Images} image(s)")]
        public static partial void Created(ILogger logger, string taskId, string model, int width, int height, int seconds, int images);

        [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId} cancelled by its owner")]
        public static partial void Cancelled(ILogger logger, string taskId);

        [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId} deleted by its owner")]
        public static partial void Deleted(ILogger logger, string taskId);
    }
}
