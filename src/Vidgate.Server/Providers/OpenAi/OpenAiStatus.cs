namespace Vidgate.Server.Providers.OpenAi;

/// <summary>What an upstream status word means to us.</summary>
internal enum UpstreamState
{
    Queued,
    Running,
    Completed,
    Failed,
    Cancelled,
    Expired,

    /// <summary>A word we have not met: keep polling (and log it), never fail or show it.</summary>
    Unknown,
}

/// <summary>
/// Every status word seen in the wild (OpenAI, new-api and its reseller forks, LiteLLM, xAI passthroughs, SGLang,
/// OpenRouter), in any case. Chained gateways leak odd words (<c>unknown</c>, <c>NOT_START</c>): those stay running,
/// because failing a paid job on a word we do not know is worse than waiting for the deadline.
/// </summary>
internal static class OpenAiStatus
{
    public static UpstreamState Normalize(string? word) => word?.Trim().ToLowerInvariant().Replace('-', '_').Replace(' ', '_') switch
    {
        "queued" or "pending" or "submitted" or "not_start" or "not_started" or "waiting" or "in_queue" or "created" => UpstreamState.Queued,
        "processing" or "in_progress" or "running" or "generating" or "started" => UpstreamState.Running,
        "completed" or "complete" or "succeeded" or "succeed" or "success" or "successful" or "done" or "finished" => UpstreamState.Completed,
        "failed" or "failure" or "fail" or "error" or "errored" or "rejected" => UpstreamState.Failed,
        "cancelled" or "canceled" or "cancel" => UpstreamState.Cancelled,
        "expired" or "timeout" or "timed_out" => UpstreamState.Expired,
        _ => UpstreamState.Unknown,
    };
}
