namespace Vidgate.Contracts;

/// <summary>
/// The task object of the grok-imagine-video (seed) dialect, as returned by
/// <c>POST /v1/videos</c> and <c>GET /v1/videos/{id}</c>.
/// </summary>
public sealed record SeedVideo(
    string Id,
    string Object,
    string Model,
    string Status,
    int Progress,
    long CreatedAt,
    long? CompletedAt,
    long? ExpiresAt,
    string Seconds,
    string Size,
    string AspectRatio,
    string VideoUrl,
    VideoError? Error);

public sealed record VideoError(string Code, string Message);

public sealed record VideoDeleted(string Id, string Object, bool Deleted);
