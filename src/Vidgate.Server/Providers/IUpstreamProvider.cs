using System.Text.Json;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Providers;

/// <summary>
/// One configured upstream (a provider <i>instance</i>): admin-editable at runtime, stored in the database. Several
/// instances may share a type (two xAI accounts, three resellers). API keys are never returned by the API or logged.
/// </summary>
/// <param name="Id">Instance name that routes point at, e.g. <c>xai-main</c>.</param>
/// <param name="Type"><c>xai</c>, <c>openai</c> or <c>comfyui</c>: which <see cref="IUpstreamProviderType"/> builds it.</param>
/// <param name="BaseUrl">The upstream's root, e.g. <c>https://api.x.ai</c> (the provider appends <c>/v1/...</c>). Operator-chosen, so trusted (no SSRF guard).</param>
/// <param name="ApiKeys">One or more keys; a task is pinned to the key it was accepted with (<see cref="UpstreamHandle.KeyIndex"/>).</param>
/// <param name="RequestTimeout">Per HTTP call to the upstream.</param>
/// <param name="MaxConcurrentJobs">Jobs in flight on this instance at once (0 = unlimited).</param>
/// <param name="MaxRequestsPerSecond">Calls per second to this instance, submits and polls together (0 = unlimited).</param>
/// <param name="ModelMap">Our model name → the upstream's model name; a missing entry passes the name through.</param>
/// <param name="Options">Type-specific settings as JSON (e.g. openai <c>{"create_format":"multipart"}</c>, comfyui <c>{"workflow":{…}}</c>).</param>
internal sealed record UpstreamSettings(
    string Id,
    string Type,
    Uri BaseUrl,
    IReadOnlyList<string> ApiKeys,
    TimeSpan RequestTimeout,
    int MaxConcurrentJobs,
    double MaxRequestsPerSecond,
    IReadOnlyDictionary<string, string> ModelMap,
    JsonElement? Options)
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

/// <summary>The answer to a submit.</summary>
internal abstract record UpstreamSubmit
{
    /// <summary>The upstream took the job; from now on the task is pinned to this instance and key.</summary>
    public sealed record Accepted(string UpstreamId, string? State = null) : UpstreamSubmit;

    /// <summary>A definite refusal (4xx validation, moderation): the task fails, no failover. <see cref="Code"/> becomes <c>error.code</c>.</summary>
    public sealed record Rejected(string Code, string Message) : UpstreamSubmit;

    /// <summary>
    /// The upstream did not take the job (429, 5xx, timeout, connection error): try the next route.
    /// <see cref="RetryAfter"/> from a 429's <c>Retry-After</c>, if any, applies to the whole instance.
    /// <see cref="KeyRefused"/>: the upstream refused the API key (401/403); the instance's other keys are tried first,
    /// and this one is left out for <see cref="UpstreamOptions.RefusedKeyPause"/>.
    /// </summary>
    public sealed record Unavailable(string Reason, TimeSpan? RetryAfter = null, bool KeyRefused = false) : UpstreamSubmit;
}

/// <summary>The answer to a poll. Polls never fail a task by themselves except through <see cref="Failed"/>.</summary>
internal abstract record UpstreamPoll
{
    /// <summary>Still running. Progress 0..99 when known (never shown lower than before).</summary>
    public sealed record Running(int? Progress) : UpstreamPoll;

    /// <summary>
    /// Finished with a video; <see cref="ActualSeconds"/> when the upstream says how long it really is (billing settles on it).
    /// <see cref="CostUsdTicks"/>: what the upstream says the job cost us, in USD ticks (1 USD = 10,000,000,000), when it
    /// says so as a non-negative integer; recorded for operators (<c>/admin/usage</c>), never charged to users.
    /// </summary>
    public sealed record Done(int? ActualSeconds = null, string? ResultUrl = null, long? CostUsdTicks = null) : UpstreamPoll;

    /// <summary>Failed upstream (incl. moderation: code <c>moderation_blocked</c>; expired: <c>upstream_expired</c>).</summary>
    public sealed record Failed(string Code, string Message) : UpstreamPoll;

    /// <summary>Could not tell this time (timeout, 5xx, 429, garbage body): poll again later, never fail on this alone.</summary>
    public sealed record Transient(string Reason, TimeSpan? RetryAfter = null) : UpstreamPoll;
}

/// <summary>
/// The answer to <see cref="IUpstreamProvider.FindAsync"/>: whether the upstream has the job a submit interrupted by a
/// crash may have created. Only <see cref="Found"/> and <see cref="NotFound"/> are definite; the tracker acts on them
/// alone and looks again later after <see cref="Unknown"/>.
/// </summary>
internal abstract record UpstreamLookup
{
    /// <summary>The upstream has the job: it is adopted as if the submit had been answered (tracking goes on from there).</summary>
    public sealed record Found(string UpstreamId, string? State = null) : UpstreamLookup;

    /// <summary>The upstream definitely never took the job (neither queued, running nor finished): sending it again is safe.</summary>
    public sealed record NotFound : UpstreamLookup;

    /// <summary>Could not tell (timeout, 5xx, connection error, garbage body): look again later, never act on this alone.</summary>
    public sealed record Unknown(string Reason) : UpstreamLookup;

    /// <summary>The provider cannot look jobs up (the default): reconciliation falls back to idempotency keys or fails the task.</summary>
    public sealed record Unsupported : UpstreamLookup;
}

/// <summary>
/// A remote video generator behind the one canonical model: submit, poll, cancel, open result. Implementations live in
/// their own folder (<c>Providers/Xai</c>, <c>Providers/OpenAi</c>, <c>Providers/ComfyUi</c>) and know their wire format;
/// nothing outside that folder does. Instances are built from <see cref="UpstreamSettings"/> by their
/// <see cref="IUpstreamProviderType"/>; they must be safe for concurrent use and must not log keys.
/// </summary>
internal interface IUpstreamProvider
{
    UpstreamSettings Settings { get; }

    /// <summary>
    /// True when the upstream honours <see cref="UpstreamJob.IdempotencyKey"/>: a submit interrupted by a crash is then
    /// sent again with the same key (the upstream returns the job it already has). False (xAI): such a task is looked up
    /// with <see cref="FindAsync"/> where the provider can, otherwise failed with <c>upstream_submit_interrupted</c>,
    /// never submitted twice.
    /// </summary>
    bool SupportsIdempotencyKey => false;

    Task<UpstreamSubmit> SubmitAsync(UpstreamJob job, CancellationToken ct);

    /// <summary>
    /// Looks for the job a submit with <paramref name="idempotencyKey"/> (<see cref="UpstreamJob.IdempotencyKey"/>, the
    /// task id) would have created, with the key it was submitted with. Used after a crash between the paid call and
    /// storing the upstream id: <see cref="UpstreamLookup.Found"/> adopts the job, <see cref="UpstreamLookup.NotFound"/>
    /// submits once more, <see cref="UpstreamLookup.Unknown"/> waits for the next round. Only a provider whose upstream
    /// can be asked by something the submit chose itself (ComfyUI: the <c>prompt_id</c>) can answer; the default says
    /// <see cref="UpstreamLookup.Unsupported"/>.
    /// </summary>
    Task<UpstreamLookup> FindAsync(string idempotencyKey, string apiKey, CancellationToken ct)
        => Task.FromResult<UpstreamLookup>(new UpstreamLookup.Unsupported());

    Task<UpstreamPoll> PollAsync(UpstreamHandle handle, CancellationToken ct);

    /// <summary>Best effort: asks the upstream to stop (a no-op where it has no cancel, like xAI).</summary>
    Task CancelAsync(UpstreamHandle handle, CancellationToken ct);

    /// <summary>
    /// Opens the finished video for streaming (response headers read, body not yet). <paramref name="done"/> is the poll
    /// that said so. URLs that came from the upstream's answers (not from <see cref="UpstreamSettings.BaseUrl"/>) must be
    /// fetched through <see cref="IGuardedFetcher"/>. The caller owns and disposes the response.
    /// </summary>
    Task<HttpResponseMessage> OpenResultAsync(UpstreamHandle handle, UpstreamPoll.Done done, CancellationToken ct);
}

/// <summary>Builds provider instances of one type (registered in DI, one per type).</summary>
internal interface IUpstreamProviderType
{
    /// <summary><c>xai</c>, <c>openai</c>, <c>comfyui</c>.</summary>
    string Type { get; }

    /// <summary>Null when <paramref name="settings"/> are usable; otherwise what is wrong (the admin API returns it as a 400).</summary>
    string? Validate(UpstreamSettings settings);

    IUpstreamProvider Create(UpstreamSettings settings);
}

/// <summary>
/// HTTP GET for URLs we did not choose ourselves (upstream result URLs, <c>image_url</c> inputs): http(s) only, DNS
/// resolved once, private / loopback / link-local / metadata addresses refused unless allowlisted by the operator.
/// </summary>
internal interface IGuardedFetcher
{
    /// <summary>Sends a GET with the given headers; throws <see cref="FetchRefusedException"/> for a refused address.</summary>
    Task<HttpResponseMessage> GetAsync(Uri url, IReadOnlyDictionary<string, string>? headers, CancellationToken ct);
}

/// <summary>The SSRF guard refused a URL; the message says why (no secrets in it).</summary>
internal sealed class FetchRefusedException(string message) : Exception(message);
