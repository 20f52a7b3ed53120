namespace Vidgate.Contracts;

/// <summary>
/// The body of a seed (grok-imagine-video) create on <c>POST /v1/videos</c>: <c>model, prompt, seconds, aspect_ratio,
/// resolution</c> and up to seven reference images as data URIs. Absent fields take the model's defaults.
/// </summary>
public sealed record SeedCreateRequest(
    string? Model,
    string Prompt,
    string? Seconds,
    string? AspectRatio,
    string? Resolution,
    IReadOnlyList<string>? Images);
