using System.Text.Json.Serialization;

namespace Vidgate.Server.Webhooks;

/// <summary><c>POST …/webhooks</c>: the URL and the events it wants (default: every ending, no progress).</summary>
internal sealed record CreateWebhookRequest(string? Url, IReadOnlyList<string>? Events, string? Description);

/// <summary>An endpoint as the API shows it; <see cref="Secret"/> only in the answers of create and rotate-secret.</summary>
internal sealed record WebhookEndpointInfo(
    string Id,
    string Object,
    string AccountId,
    string Url,
    IReadOnlyList<string> Events,
    bool Enabled,
    long CreatedAt,
    long? DisabledAt,
    string? DisabledReason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Secret);

internal sealed record WebhookEndpointList(string Object, IReadOnlyList<WebhookEndpointInfo> Data);

/// <summary>The account's callback secret: signs deliveries to a create's <c>callback_url</c>.</summary>
internal sealed record CallbackSecretInfo(string Object, string AccountId, string Secret);

internal sealed record WebhookAttemptInfo(int Attempt, long At, int? StatusCode, long LatencyMs, string? Error);

internal sealed record WebhookDeliveryInfo(
    string Id,
    string Object,
    string EventId,
    string EventType,
    string VideoId,
    string AccountId,
    string? EndpointId,
    string Url,
    string Status,
    int Attempts,
    long? NextAttemptAt,
    int? LastStatusCode,
    string? LastError,
    long CreatedAt,
    long? FinishedAt,
    IReadOnlyList<WebhookAttemptInfo> AttemptLog);

internal sealed record WebhookDeliveryList(string Object, IReadOnlyList<WebhookDeliveryInfo> Data, bool HasMore, string? LastId);

/// <summary>The answer of a delete: the endpoint is disabled for good (its delivery log stays).</summary>
internal sealed record WebhookEndpointDeleted(string Id, string Object, bool Deleted);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(CreateWebhookRequest))]
[JsonSerializable(typeof(WebhookEndpointInfo))]
[JsonSerializable(typeof(WebhookEndpointList))]
[JsonSerializable(typeof(CallbackSecretInfo))]
[JsonSerializable(typeof(WebhookDeliveryInfo))]
[JsonSerializable(typeof(WebhookDeliveryList))]
[JsonSerializable(typeof(WebhookEndpointDeleted))]
internal sealed partial class WebhookJson : JsonSerializerContext;
