namespace Vidgate.Server.Tasks;

/// <summary>The canonical task states. Dialects translate them to their own words at the edge.</summary>
internal enum VideoStatus
{
    Queued,
    Processing,
    Completed,
    Failed,
    Cancelled,
}

internal static class VideoStatusWords
{
    /// <summary>The canonical lower-case word (<c>queued … cancelled</c>): the seed contract's status and the metrics label.</summary>
    public static string Word(this VideoStatus status) => status switch
    {
        VideoStatus.Queued => "queued",
        VideoStatus.Processing => "processing",
        VideoStatus.Completed => "completed",
        VideoStatus.Failed => "failed",
        VideoStatus.Cancelled => "cancelled",
        _ => throw new System.Diagnostics.UnreachableException(),
    };
}

/// <summary>The wire dialect a task was created in; reads render the task in the same dialect.</summary>
internal enum Dialect
{
    /// <summary>grok-imagine-video JSON of the starting document.</summary>
    Seed,

    /// <summary>OpenAI Videos API (Sora 2): multipart or JSON with <c>size</c>.</summary>
    OpenAi,

    /// <summary>Reseller multipart for <c>grok-video-*</c> models; answers in the seed's shape.</summary>
    LegacyGrok,

    /// <summary>xAI native: <c>POST /v1/videos/generations</c>, polled as <c>{status: pending|done…}</c>.</summary>
    Xai,
}

/// <summary>
/// The one canonical task. Everything below the dialect layer (store, workers, providers) speaks only this.
/// Times are UTC; sizes are exact output pixels.
/// </summary>
internal sealed record VideoTask
{
    public required string Id { get; init; }
    public required string AccountId { get; init; }
    public required string KeyId { get; init; }
    public required Dialect Dialect { get; init; }
    public required string Model { get; init; }
    public required string Prompt { get; init; }
    public required int Seconds { get; init; }
    public required int Width { get; init; }
    public required int Height { get; init; }
    public required string AspectRatio { get; init; }

    /// <summary>Short-side label the caller asked for, e.g. <c>720P</c>.</summary>
    public required string Resolution { get; init; }

    /// <summary>Blob keys of the reference images, in request order.</summary>
    public IReadOnlyList<string> InputKeys { get; init; } = [];

    public required string Provider { get; init; }
    public VideoStatus Status { get; init; } = VideoStatus.Queued;
    public int Progress { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>Set when retention removed the content; reads then say <c>video_expired</c>.</summary>
    public DateTimeOffset? ContentDeletedAt { get; init; }

    /// <summary>The completed task this one remixes (OpenAI <c>remixed_from_video_id</c>), else null.</summary>
    public string? RemixedFromId { get; init; }

    /// <summary>The create's <c>callback_url</c>: its ending events are delivered there too (Webhooks/), else null.</summary>
    public string? CallbackUrl { get; init; }

    public string? UpstreamId { get; init; }
    public int Attempts { get; init; }
    public string? ErrorCode { get; init; }
    public string? ErrorMessage { get; init; }

    public bool IsFinished => Status is VideoStatus.Completed or VideoStatus.Failed or VideoStatus.Cancelled;

    public static string NewId() => Ids.New("video_");
}

/// <summary>Where a task's outputs live in blob storage.</summary>
internal static class TaskBlobs
{
    public static string Video(string taskId) => $"videos/{taskId}/video.mp4";
    public static string Thumbnail(string taskId) => $"videos/{taskId}/thumbnail.webp";
    public static string Spritesheet(string taskId) => $"videos/{taskId}/spritesheet.jpg";
    public static string Input(string taskId, int index, string extension) => $"inputs/{taskId}/{index}.{extension}";
    public static string OutputPrefix(string taskId) => $"videos/{taskId}/";
    public static string InputPrefix(string taskId) => $"inputs/{taskId}/";
}
