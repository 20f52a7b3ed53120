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
    string OnAmbiguousSubmit = "failover");

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
