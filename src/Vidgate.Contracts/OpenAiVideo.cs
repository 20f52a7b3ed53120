namespace Vidgate.Contracts;

/// <summary>
/// OpenAI's <c>Video</c> object exactly (every field present, null where empty), plus <see cref="VideoUrl"/> as the
/// extra field reseller clients look for. Statuses: queued, in_progress, completed, failed.
/// </summary>
public sealed record OpenAiVideo(
    string Id,
    string Object,
    string Model,
    string Status,
    int Progress,
    long CreatedAt,
    long? CompletedAt,
    long? ExpiresAt,
    string? Prompt,
    string Size,
    string Seconds,
    string? RemixedFromVideoId,
    VideoError? Error,
    string? VideoUrl);

/// <summary><c>GET /v1/videos</c>: OpenAI's cursor page.</summary>
public sealed record OpenAiVideoList(string Object, IReadOnlyList<OpenAiVideo> Data, string? FirstId, string? LastId, bool HasMore);

/// <summary><c>GET /v1/models</c> item: OpenAI's model object plus what the model accepts.</summary>
public sealed record ModelInfo(string Id, string Object, long Created, string OwnedBy, ModelLimits Limits, IReadOnlyList<ModelPrice>? Pricing = null);

public sealed record ModelLimits(
    int MinSeconds,
    int MaxSeconds,
    int DefaultSeconds,
    IReadOnlyList<int>? AllowedSeconds,
    IReadOnlyList<string> Resolutions,
    IReadOnlyList<string>? Sizes,
    IReadOnlyList<string> AspectRatios,
    int MaxImages,
    IReadOnlyList<string> ImageTypes);
