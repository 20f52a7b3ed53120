using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vidgate.Contracts;

/// <summary>
/// <c>POST /admin/providers</c> and <c>PUT /admin/providers/{id}</c>: one provider instance. On PUT, a missing
/// <c>api_keys</c> keeps the stored keys (they are never returned, so a client cannot echo them back).
/// </summary>
public sealed record ProviderRequest(
    string? Id,
    string? Type,
    string? BaseUrl,
    IReadOnlyList<string>? ApiKeys,
    double? RequestTimeoutSeconds,
    int? MaxConcurrentJobs,
    double? MaxRequestsPerSecond,
    IReadOnlyDictionary<string, string>? ModelMap,
    JsonElement? Options,
    string? OnAmbiguousSubmit = null);

/// <summary>A provider instance as the admin API shows it: never its keys, only how many there are.</summary>
public sealed record ProviderInfo(
    string Id,
    string Object,
    string Type,
    string BaseUrl,
    int ApiKeyCount,
    double RequestTimeoutSeconds,
    int MaxConcurrentJobs,
    double MaxRequestsPerSecond,
    IReadOnlyDictionary<string, string> ModelMap,
    JsonElement? Options,
    long CreatedAt,
    long UpdatedAt,
    string OnAmbiguousSubmit = "failover")
{
    /// <summary>This node's circuit breaker for the instance: <c>closed</c>, <c>open</c> or <c>half_open</c>.</summary>
    public string? State { get; init; }

    /// <summary>The last submit failure this node saw (key-redacted), or null.</summary>
    public string? LastError { get; init; }

    /// <summary>Share of this node's submits in the last 5 minutes the upstream answered (null: none).</summary>
    public double? SuccessRate { get; init; }

    /// <summary>Median submit latency on this node over the last 5 minutes, in milliseconds (null: no submits).</summary>
    public double? P50LatencyMs { get; init; }

    /// <summary>Tasks submitted to the instance and not finished (all nodes).</summary>
    public int? JobsInFlight { get; init; }

    /// <summary>How many of its keys the upstream refused lately (left out of the rotation; never shown).</summary>
    public int? BadKeyCount { get; init; }
}

/// <summary><c>POST /admin/routes</c>: send <c>model</c> to <c>provider</c>; lower priority first, weight among equals.</summary>
public sealed record RouteRequest(string? Model, string? Provider, int? Priority, int? Weight);

public sealed record RouteInfo(string Id, string Object, string Model, string Provider, int Priority, int Weight, long CreatedAt);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ProviderRequest))]
[JsonSerializable(typeof(ProviderInfo))]
[JsonSerializable(typeof(ListOf<ProviderInfo>))]
[JsonSerializable(typeof(RouteRequest))]
[JsonSerializable(typeof(RouteInfo))]
[JsonSerializable(typeof(ListOf<RouteInfo>))]
public sealed partial class UpstreamsJson : JsonSerializerContext;
