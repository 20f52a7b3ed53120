namespace Vidgate.Server.Providers;

/// <summary>
/// The one provider seam: every video generator, local or remote, behind the canonical model. Submit, look up, poll,
/// cancel, open result; the answers are the closed sets below. A remote provider (<c>Providers/Xai</c>,
/// <c>Providers/OpenAi</c>, <c>Providers/ComfyUi</c>) answers a submit with <see cref="UpstreamSubmit.Accepted"/> and is
/// polled until done; a local one (<c>Providers/Builtin</c>) does the work inside the submit and answers
/// <see cref="UpstreamSubmit.Finished"/>, reporting progress through <see cref="UpstreamJob.OnProgress"/> (a job it was
/// running when its node died is simply submitted again: it re-renders). Each implementation knows its wire format and
/// nothing outside its folder does. Instances are built from <see cref="UpstreamSettings"/> by their
/// <see cref="IVideoProviderType"/> (remote) or registered in DI (local); they must be safe for concurrent use and must
/// not log keys.
/// </summary>
internal interface IVideoProvider
{
    UpstreamSettings Settings { get; }

    /// <summary>
    /// True when the upstream honours <see cref="UpstreamJob.IdempotencyKey"/>: a submit interrupted by a crash is then
    /// sent again with the same key (the upstream returns the job it already has). False (xAI): such a task is looked up
    /// with <see cref="FindAsync"/> where the provider can, otherwise failed with <c>upstream_submit_interrupted</c>,
    /// never submitted twice.
    /// </summary>
    bool SupportsIdempotencyKey => false;

    /// <summary>
    /// Starts the job (remote) or does it (local; cancellation must then stop the work promptly, killing any process).
    /// </summary>
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

    /// <summary>Null when the provider can take work; otherwise what is wrong (shown by <c>/readyz</c> for local providers).</summary>
    Task<string?> CheckAsync(CancellationToken ct) => Task.FromResult<string?>(null);
}

/// <summary>Builds remote provider instances of one type (registered in DI, one per type).</summary>
internal interface IVideoProviderType
{
    /// <summary><c>xai</c>, <c>openai</c>, <c>comfyui</c>.</summary>
    string Type { get; }

    /// <summary>Null when <paramref name="settings"/> are usable; otherwise what is wrong (the admin API returns it as a 400).</summary>
    string? Validate(UpstreamSettings settings);

    IVideoProvider Create(UpstreamSettings settings);
}

/// <summary>The answer to a submit.</summary>
internal abstract record UpstreamSubmit
{
    /// <summary>The upstream took the job; from now on the task is pinned to this instance and key.</summary>
    public sealed record Accepted(string UpstreamId, string? State = null) : UpstreamSubmit;

    /// <summary>A definite refusal (4xx validation, moderation): the task fails, no failover. <see cref="Code"/> becomes <c>error.code</c>.</summary>
    public sealed record Rejected(string Code, string Message) : UpstreamSubmit
    {
        /// <summary>Set when the refusal is of one of the request's own values (<c>fit: "strict"</c>): which, and what is accepted.</summary>
        public FitRefusal? Fit { get; init; }
    }

    /// <summary>
    /// The upstream did not take the job (429, 5xx, timeout, connection error): try the next route.
    /// <see cref="RetryAfter"/> from a 429's <c>Retry-After</c>, if any, applies to the whole instance.
    /// <see cref="KeyRefused"/>: the upstream refused the API key (401/403); the instance's other keys are tried first,
    /// and this one is left out for <see cref="UpstreamOptions.RefusedKeyPause"/>.
    /// </summary>
    public sealed record Unavailable(string Reason, TimeSpan? RetryAfter = null, bool KeyRefused = false) : UpstreamSubmit
    {
        /// <summary>
        /// The whole request was sent and its answer lost (a timeout or reset after the body went out, a 502/504, a 5xx
        /// without a body, a 2xx without a job id): the upstream may have the job. The instance's
        /// <see cref="UpstreamSettings.OnAmbiguousSubmit"/> decides whether the next route is tried.
        /// </summary>
        public bool Ambiguous { get; init; }
    }

    /// <summary>
    /// A local provider did the work inside the submit (the builtin renderer): nothing to track, the result is on this
    /// node. <see cref="ActualSeconds"/>: the output's length when it is shorter than asked (billing settles on it).
    /// </summary>
    public sealed record Finished(Artifact Artifact, int? ActualSeconds = null) : UpstreamSubmit;
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
/// The answer to <see cref="IVideoProvider.FindAsync"/>: whether the upstream has the job a submit interrupted by a
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
