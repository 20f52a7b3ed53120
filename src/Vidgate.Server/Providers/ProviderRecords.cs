using System.Text.Json;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Providers;

/// <summary>
/// One provider <i>instance</i>. Remote ones (xAI, OpenAI-compatible, ComfyUI) are admin-editable at runtime and stored
/// in the database; several may share a type (two xAI accounts, three resellers). Local ones (<c>builtin</c>) are part
/// of the server and describe themselves. API keys are never returned by the API or logged.
/// </summary>
/// <param name="Id">Instance name that routes point at, e.g. <c>xai-main</c>.</param>
/// <param name="Type"><c>xai</c>, <c>openai</c> or <c>comfyui</c>: which <see cref="IVideoProviderType"/> builds it (<c>builtin</c> for the local renderer).</param>
/// <param name="BaseUrl">The upstream's root, e.g. <c>https://api.x.ai</c> (the provider appends <c>/v1/...</c>). Operator-chosen, so trusted (no SSRF guard).</param>
/// <param name="ApiKeys">One or more keys; a task is pinned to the key it was accepted with (<see cref="UpstreamHandle.KeyIndex"/>).</param>
/// <param name="RequestTimeout">Per HTTP call to the upstream.</param>
/// <param name="MaxConcurrentJobs">Jobs in flight on this instance at once (0 = unlimited).</param>
/// <param name="MaxRequestsPerSecond">Calls per second to this instance, submits and polls together (0 = unlimited).</param>
/// <param name="ModelMap">Our model name → the upstream's model name; a missing entry passes the name through.</param>
/// <param name="Options">Type-specific settings as JSON (e.g. openai <c>{"create_format":"multipart"}</c>, comfyui <c>{"workflow":{…}}</c>).</param>
/// <param name="OnAmbiguousSubmit">When a submit's answer is lost after it was sent: try the next route, or fail the task (refunded).</param>
internal sealed record UpstreamSettings(
    string Id,
    string Type,
    Uri BaseUrl,
    IReadOnlyList<string> ApiKeys,
    TimeSpan RequestTimeout,
    int MaxConcurrentJobs,
    double MaxRequestsPerSecond,
    IReadOnlyDictionary<string, string> ModelMap,
    JsonElement? Options,
    AmbiguousSubmit OnAmbiguousSubmit = AmbiguousSubmit.Failover)
{
    public string UpstreamModel(string model) => ModelMap.TryGetValue(model, out var mapped) ? mapped : model;
}

/// <summary>A reference image handed to an upstream: bytes plus its MIME type (<c>image/png|jpeg|webp</c>).</summary>
internal sealed record UpstreamImage(ReadOnlyMemory<byte> Bytes, string MediaType)
{
    public string DataUri => $"data:{MediaType};base64,{Convert.ToBase64String(Bytes.Span)}";
}

/// <summary>What to submit: the canonical task, its images, the upstream model name and the key to use.</summary>
/// <param name="IdempotencyKey">Stable per task (the task id): send it where the upstream honours one, so a retry after a crash never creates a second job.</param>
internal sealed record UpstreamJob(VideoTask Task, IReadOnlyList<UpstreamImage> Images, string UpstreamModel, string ApiKey, string IdempotencyKey)
{
    /// <summary>
    /// Where a local provider reports progress (0..99) while it works inside the submit; the caller writes it with the
    /// lease heartbeat. Remote providers report progress through their polls and ignore it.
    /// </summary>
    public Action<int> OnProgress { get; init; } = static _ => { };

    /// <summary>
    /// Our callback URL for this job (it holds the job's secret, so it is never printed), when the instance has callbacks
    /// on and <c>Vidgate:PublicBaseUrl</c> is set; the vendor's submit carries it where the vendor takes one.
    /// </summary>
    public string? CallbackUrl { get; init; }

    // A record prints every member; the key must never reach a log line or an exception message that way.
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"Task = {Task.Id}, Images = {Images.Count}, UpstreamModel = {UpstreamModel}, IdempotencyKey = {IdempotencyKey}");
        return true;
    }
}

/// <summary>An accepted upstream job: enough to poll, cancel and fetch it after a restart.</summary>
/// <param name="KeyIndex">Which of <see cref="UpstreamSettings.ApiKeys"/> accepted it: stored on the task (the key itself never is).</param>
/// <param name="ApiKey">That key, filled in from the instance's settings when the handle is loaded.</param>
/// <param name="State">Optional provider-private data saved with the task (e.g. a ComfyUI client id); null for most.</param>
internal sealed record UpstreamHandle(string ProviderId, string UpstreamId, int KeyIndex, string ApiKey, string? State)
{
    // Printed without the key (see UpstreamJob).
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"ProviderId = {ProviderId}, UpstreamId = {UpstreamId}, KeyIndex = {KeyIndex}");
        return true;
    }
}

/// <summary>
/// The local result files of a job a local provider finished inside its submit; the worker moves them into storage and
/// then deletes <see cref="WorkFolder"/>.
/// </summary>
internal sealed record Artifact(string VideoPath, string ThumbnailPath, string SpritesheetPath, string WorkFolder);
