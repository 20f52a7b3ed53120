namespace Vidgate.Contracts;

/// <summary>xAI native create answer: <c>{"request_id": …}</c>.</summary>
public sealed record XaiCreated(string RequestId);

/// <summary>xAI native poll answer. <see cref="Video"/> is null until done (the AI SDK requires its <c>url</c>).</summary>
public sealed record XaiVideoStatus(string Status, int Progress, string Model, XaiVideoResult? Video, VideoError? Error);

public sealed record XaiVideoResult(string Url, int Duration, bool RespectModeration);
