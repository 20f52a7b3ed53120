using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vidgate.Server.Providers.Registry;

/// <summary>A stored provider instance: its settings (keys included) and when it was written.</summary>
internal sealed record ProviderRecord(UpstreamSettings Settings, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>One route of a model to a provider instance: lower <see cref="Priority"/> first, <see cref="Weight"/> among equals.</summary>
internal sealed record RouteRecord(string Id, string Model, string ProviderId, int Priority, int Weight, DateTimeOffset CreatedAt);

/// <summary>Provider instances and routes, as the admin API edits them (one implementation per engine, in <c>Data/</c>).</summary>
internal interface IUpstreamConfigStore
{
    Task<IReadOnlyList<ProviderRecord>> ProvidersAsync(CancellationToken ct);

    Task<IReadOnlyList<RouteRecord>> RoutesAsync(CancellationToken ct);

    /// <summary>Inserts (when <paramref name="create"/>) or replaces an instance. False: it exists (create) or is missing (update).</summary>
    Task<bool> SaveProviderAsync(UpstreamSettings settings, bool create, DateTimeOffset now, CancellationToken ct);

    /// <summary>Removes an instance unless routes point at it or tasks are in flight on it.</summary>
    Task<DeleteOutcome> DeleteProviderAsync(string id, CancellationToken ct);

    /// <summary>Adds a route if its provider exists (checked in the same write). False: the provider is gone.</summary>
    Task<bool> AddRouteAsync(RouteRecord route, CancellationToken ct);

    Task<bool> DeleteRouteAsync(string id, CancellationToken ct);
}

internal enum DeleteOutcome
{
    Deleted,
    Missing,
    HasRoutes,
    InUse,
}

/// <summary>The JSON kept with a stored instance (SQLite: <c>upstream_providers.settings</c>).</summary>
internal sealed record StoredSettings(
    string BaseUrl,
    string[] ApiKeys,
    double RequestTimeoutSeconds,
    int MaxConcurrentJobs,
    double MaxRequestsPerSecond,
    Dictionary<string, string> ModelMap,
    JsonElement? Options,
    string? OnAmbiguousSubmit = null)
{
    // Absent in instances stored before the setting existed: they keep the behaviour they had (failover).
    public static StoredSettings From(UpstreamSettings s) => new(
        s.BaseUrl.ToString(), [.. s.ApiKeys], s.RequestTimeout.TotalSeconds, s.MaxConcurrentJobs, s.MaxRequestsPerSecond,
        new Dictionary<string, string>(s.ModelMap, StringComparer.Ordinal), s.Options,
        s.OnAmbiguousSubmit == AmbiguousSubmit.Fail ? "fail" : null);

    public UpstreamSettings ToSettings(string id, string type) => new(
        id, type, new Uri(BaseUrl), ApiKeys, TimeSpan.FromSeconds(RequestTimeoutSeconds), MaxConcurrentJobs, MaxRequestsPerSecond,
        new Dictionary<string, string>(ModelMap, StringComparer.Ordinal), Options,
        OnAmbiguousSubmit == "fail" ? AmbiguousSubmit.Fail : AmbiguousSubmit.Failover);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(StoredSettings))]
internal sealed partial class UpstreamStoreJson : JsonSerializerContext;
