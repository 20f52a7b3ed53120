namespace Vidgate.Server.Webhooks;

/// <summary>The events a webhook endpoint can subscribe to; <c>video.progress</c> only when asked for.</summary>
internal static class WebhookEvents
{
    public const string Completed = "video.completed";
    public const string Failed = "video.failed";
    public const string Cancelled = "video.cancelled";
    public const string Progress = "video.progress";

    public static readonly string[] All = [Completed, Failed, Cancelled, Progress];

    /// <summary>What an endpoint gets when it names no events: every ending, no progress.</summary>
    public static readonly string[] Default = [Completed, Failed, Cancelled];
}

/// <summary>An account's webhook endpoint (<c>webhook_endpoints</c>).</summary>
internal sealed record WebhookEndpoint(
    string Id,
    string AccountId,
    string Url,
    IReadOnlyList<string> Events,
    string Secret,
    DateTimeOffset CreatedAt,
    DateTimeOffset? DisabledAt,
    string? DisabledReason);

/// <summary>Delivery states: <c>pending</c> (due at <see cref="WebhookDelivery.NextAttemptAt"/>), <c>delivered</c>, <c>failed</c>.</summary>
internal static class DeliveryStatus
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Failed = "failed";
}

/// <summary>One event for one destination (<c>webhook_deliveries</c>, the outbox). <see cref="EndpointId"/> is null for a callback_url.</summary>
internal sealed record WebhookDelivery(
    string Id,
    string EventId,
    string EventType,
    string TaskId,
    string AccountId,
    string? EndpointId,
    string Url,
    string Status,
    int Attempts,
    DateTimeOffset NextAttemptAt,
    string? Body,
    int? LastStatusCode,
    string? LastError,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FinishedAt);

/// <summary>One HTTP attempt of a delivery (<c>webhook_attempts</c>): what was answered, how fast, or why nothing was.</summary>
internal sealed record WebhookAttempt(string DeliveryId, int Attempt, DateTimeOffset At, int? StatusCode, long LatencyMs, string? Error);

/// <summary>
/// A delivery this node leased, with the secrets that sign it now (the previous one too while a rotation overlaps) and
/// why it must not be sent (its endpoint was deleted or disabled since), if so.
/// </summary>
internal sealed record ClaimedDelivery(WebhookDelivery Delivery, IReadOnlyList<string> Secrets, string? Stopped);

/// <summary>What an admin filters the delivery log by; nulls match everything.</summary>
internal sealed record DeliveryQuery(string? AccountId, string? EndpointId, string? TaskId, string? Status, string? After, int Limit);
