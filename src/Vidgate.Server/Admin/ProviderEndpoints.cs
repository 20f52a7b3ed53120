using Vidgate.Contracts;
using Vidgate.Server.Accounts;
using Vidgate.Server.Callbacks;
using Vidgate.Server.Models;
using Vidgate.Server.Providers.Registry;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Admin;

/// <summary>
/// <c>/admin/providers</c> and <c>/admin/routes</c> (admin keys only): provider instances and model routes, edited at
/// runtime. Keys go in, never out: responses carry <c>api_key_count</c> only.
/// </summary>
internal static class ProviderEndpoints
{
    public static IEndpointRouteBuilder MapAdminProviders(this IEndpointRouteBuilder routes)
    {
        var providers = routes.MapGroup("/admin/providers").RequireCaller(admin: true);
        providers.MapGet("", ListProviders)
            .WithVidgateDocs("Admin: providers", "List the upstream provider instances", DocAuth.AdminKey).Produces<ListOf<ProviderInfo>>();
        providers.MapGet("/{id}", GetProvider)
            .WithVidgateDocs("Admin: providers", "Get a provider instance", DocAuth.AdminKey, 404).Produces<ProviderInfo>();
        providers.MapPost("", CreateProvider)
            .WithVidgateDocs("Admin: providers", "Add a provider instance", DocAuth.AdminKey, 400, 409)
            .Takes(RouteDocs.Json, null, typeof(ProviderRequest)).Produces<ProviderInfo>();
        providers.MapPut("/{id}", UpdateProvider)
            .WithVidgateDocs("Admin: providers", "Create or replace a provider instance", DocAuth.AdminKey, 400, 404)
            .Takes(RouteDocs.Json, null, typeof(ProviderRequest)).Produces<ProviderInfo>();
        providers.MapDelete("/{id}", DeleteProvider)
            .WithVidgateDocs("Admin: providers", "Delete a provider instance", DocAuth.AdminKey, 404, 409).Produces<Deleted>();
        providers.MapPost("/{id}/test", TestProvider)
            .WithVidgateDocs("Admin: providers", "Check an instance's keys with the vendor's cheapest call", DocAuth.AdminKey, 404).Produces<ProviderTest>();

        var routeGroup = routes.MapGroup("/admin/routes").RequireCaller(admin: true);
        routeGroup.MapGet("", ListRoutes).WithVidgateDocs("Admin: routes", "List the model routes", DocAuth.AdminKey).Produces<ListOf<RouteInfo>>();
        routeGroup.MapPost("", CreateRoute)
            .WithVidgateDocs("Admin: routes", "Route a model to a provider instance", DocAuth.AdminKey, 400, 404, 409)
            .Takes(RouteDocs.Json, null, typeof(RouteRequest)).Produces<RouteInfo>();
        routeGroup.MapDelete("/{id}", DeleteRoute)
            .WithVidgateDocs("Admin: routes", "Delete a model route", DocAuth.AdminKey, 404).Produces<Deleted>();
        return routes;
    }

    private static async Task<IResult> ListProviders(IUpstreamConfigStore store, UpstreamRegistry registry, IUpstreamJobStore jobs, TimeProvider clock, CancellationToken ct)
    {
        var records = await store.ProvidersAsync(ct);
        var inFlight = await jobs.InFlightAsync(ct);
        return TypedResults.Json(new ListOf<ProviderInfo>("list", [.. records.Select(r => WithHealth(r, registry, inFlight, clock))]),
            UpstreamsJson.Default.ListOfProviderInfo);
    }

    private static async Task<IResult> GetProvider(string id, IUpstreamConfigStore store, UpstreamRegistry registry, IUpstreamJobStore jobs, TimeProvider clock, CancellationToken ct)
        => (await store.ProvidersAsync(ct)).FirstOrDefault(r => r.Settings.Id == id) is { } r
            ? TypedResults.Json(WithHealth(r, registry, await jobs.InFlightAsync(ct), clock), UpstreamsJson.Default.ProviderInfo)
            : ProviderNotFound(id).ToResult();

    /// <summary>
    /// Every key of the instance through the vendor's cheapest authenticated call, one after the other: ok when all
    /// work. A key the vendor refuses is marked bad at once (it sits out like one a submit found refused); keys are
    /// named by position only.
    /// </summary>
    private static async Task<IResult> TestProvider(string id, UpstreamRegistry registry, TimeProvider clock, Microsoft.Extensions.Options.IOptions<Providers.UpstreamOptions> options, CancellationToken ct)
    {
        if (registry.Instance(id) is not { IsLocal: false } instance)
        {
            return (registry.IsLocal(id)
                ? ApiError.NotFound($"'{id}' is a local provider; it has no credentials to test.", "provider_not_found")
                : ProviderNotFound(id)).ToResult();
        }

        if (instance.Check is not { } check)
        {
            return TypedResults.Json(new ProviderTest(false, "nothing", 0,
                new ProviderTestError("check_unavailable", $"Type '{instance.Settings.Type}' has no credential check.")), ProviderAdminJson.Default.ProviderTest);
        }

        var started = clock.GetTimestamp();
        CredentialCheck? first = null;
        CredentialCheck? failed = null;
        var failedKey = 0;
        var keys = instance.Settings.ApiKeys;
        for (var i = 0; i < keys.Count && failed is null; i++)
        {
            await instance.Gate.WaitAsync(ct);
            var result = await check.CheckAsync(keys[i], ct);
            first ??= result;
            if (!result.Ok)
            {
                (failed, failedKey) = (result, i);
                if (result.ErrorCode == "bad_credentials")
                {
                    instance.RefuseKey(i, clock.GetUtcNow() + options.Value.RefusedKeyPause);
                }
            }
        }

        var latency = (long)clock.GetElapsedTime(started).TotalMilliseconds;
        var checkedWhat = first!.Checked + (keys.Count > 1 ? $" with each of the {keys.Count} keys" : "");
        return TypedResults.Json(failed is null
            ? new ProviderTest(true, checkedWhat, latency, null)
            : new ProviderTest(false, checkedWhat, latency, new ProviderTestError(failed.ErrorCode ?? "upstream_error",
                (keys.Count > 1 ? $"key #{failedKey}: " : "") + failed.ErrorMessage)), ProviderAdminJson.Default.ProviderTest);
    }

    /// <summary>The stored instance with this node's view of its health (breaker, last 5 minutes) and the jobs in flight.</summary>
    private static ProviderInfo WithHealth(ProviderRecord r, UpstreamRegistry registry, IReadOnlyDictionary<string, int> inFlight, TimeProvider clock)
    {
        var info = ProviderRequests.Info(r.Settings, r.CreatedAt, r.UpdatedAt) with { JobsInFlight = inFlight.GetValueOrDefault(r.Settings.Id) };
        if (registry.Instance(r.Settings.Id) is not { IsLocal: false } instance)
        {
            return info;
        }

        var health = instance.Health.Report();
        return info with
        {
            State = health.State switch { BreakerState.Open => "open", BreakerState.HalfOpen => "half_open", _ => "closed" },
            LastError = health.LastError,
            SuccessRate = health.SuccessRate,
            P50LatencyMs = health.P50LatencyMs,
            BadKeyCount = instance.BadKeyCount(clock.GetUtcNow()),
        };
    }

    private static Task<IResult> CreateProvider(HttpRequest request, IUpstreamConfigStore store, UpstreamRegistry registry, TimeProvider clock, CancellationToken ct)
        => SaveAsync(request, null, store, registry, clock, ct);

    private static Task<IResult> UpdateProvider(string id, HttpRequest request, IUpstreamConfigStore store, UpstreamRegistry registry, TimeProvider clock, CancellationToken ct)
        => SaveAsync(request, id, store, registry, clock, ct);

    private static async Task<IResult> SaveAsync(HttpRequest request, string? urlId, IUpstreamConfigStore store, UpstreamRegistry registry, TimeProvider clock, CancellationToken ct)
    {
        var (body, error) = await AdminJson.ReadAsync(request, UpstreamsJson.Default.ProviderRequest, ct);
        if (error is not null)
        {
            return error.ToResult();
        }

        var existing = urlId is null ? null : (await store.ProvidersAsync(ct)).FirstOrDefault(r => r.Settings.Id == urlId);
        if (urlId is not null && existing is null)
        {
            return ProviderNotFound(urlId).ToResult();
        }

        var (settings, invalid) = ProviderRequests.ToSettings(body!, urlId, existing?.Settings.ApiKeys, registry.Type, registry.Types);
        if ((invalid ?? CallbackSettings.Problem(settings!, registry.Type(settings!.Type)!, request.HttpContext.RequestServices
                .GetRequiredService<Microsoft.Extensions.Options.IOptions<VidgateOptions>>().Value.PublicBaseUrl)) is { } refused)
        {
            return refused.ToResult();
        }

        var now = clock.GetUtcNow();
        if (!await store.SaveProviderAsync(settings!, create: urlId is null, now, ct))
        {
            return urlId is null
                ? ApiError.Conflict("provider_exists", $"A provider with id '{settings!.Id}' already exists; change it with PUT /admin/providers/{settings.Id}.").ToResult()
                : ProviderNotFound(urlId).ToResult();
        }

        await registry.ReloadAsync(ct);
        return TypedResults.Json(ProviderRequests.Info(settings!, existing?.CreatedAt ?? now, now), UpstreamsJson.Default.ProviderInfo);
    }

    private static async Task<IResult> DeleteProvider(string id, IUpstreamConfigStore store, UpstreamRegistry registry, CancellationToken ct)
    {
        var outcome = await store.DeleteProviderAsync(id, ct);
        await registry.ReloadAsync(ct);
        return outcome switch
        {
            DeleteOutcome.Deleted => TypedResults.Json(new Deleted(id, "provider.deleted", true), ProviderAdminJson.Default.Deleted),
            DeleteOutcome.HasRoutes => ApiError.Conflict("provider_has_routes", $"Routes still point at provider '{id}'; delete them first (GET /admin/routes).").ToResult(),
            DeleteOutcome.InUse => ApiError.Conflict("provider_in_use", $"Tasks are still running on provider '{id}'; remove its routes and wait for them to finish.").ToResult(),
            _ => ProviderNotFound(id).ToResult(),
        };
    }

    private static async Task<IResult> ListRoutes(string? model, IUpstreamConfigStore store, CancellationToken ct)
    {
        var records = await store.RoutesAsync(ct);
        return TypedResults.Json(new ListOf<RouteInfo>("list", [.. records.Where(r => model is null || r.Model == model).Select(Info)]),
            UpstreamsJson.Default.ListOfRouteInfo);
    }

    private static async Task<IResult> CreateRoute(HttpRequest request, IUpstreamConfigStore store, UpstreamRegistry registry, ModelCatalog catalog, TimeProvider clock, CancellationToken ct)
    {
        var (body, error) = await AdminJson.ReadAsync(request, UpstreamsJson.Default.RouteRequest, ct);
        if (error is not null)
        {
            return error.ToResult();
        }

        if (string.IsNullOrEmpty(body!.Model) || catalog.Find(body.Model) is null)
        {
            return ApiError.Invalid("model", $"model must be one of the catalog's models: {string.Join(", ", catalog.Names.Order())}.", "unknown_model").ToResult();
        }

        if (string.IsNullOrEmpty(body.Provider))
        {
            return ApiError.Invalid("provider", "Name the provider instance this route sends the model to (see GET /admin/providers).", "missing_field").ToResult();
        }

        if (body.Priority is < 0 or > 1000)
        {
            return ApiError.Invalid("priority", "priority must be 0–1000 (lower is tried first).").ToResult();
        }

        if (body.Weight is < 1 or > 1000)
        {
            return ApiError.Invalid("weight", "weight must be 1–1000 (share among routes of equal priority).").ToResult();
        }

        var route = new RouteRecord(Ids.New("route_"), body.Model, body.Provider, body.Priority ?? 0, body.Weight ?? 1, clock.GetUtcNow());
        if (!await store.AddRouteAsync(route, ct))
        {
            return ApiError.Invalid("provider", $"No provider with id '{body.Provider}'; create it first with POST /admin/providers.", "unknown_provider").ToResult();
        }

        await registry.ReloadAsync(ct);
        return TypedResults.Json(Info(route), UpstreamsJson.Default.RouteInfo);
    }

    private static async Task<IResult> DeleteRoute(string id, IUpstreamConfigStore store, UpstreamRegistry registry, CancellationToken ct)
    {
        if (!await store.DeleteRouteAsync(id, ct))
        {
            return ApiError.NotFound($"No route with id '{id}'.", "route_not_found").ToResult();
        }

        await registry.ReloadAsync(ct);
        return TypedResults.Json(new Deleted(id, "route.deleted", true), ProviderAdminJson.Default.Deleted);
    }

    private static RouteInfo Info(RouteRecord r) => new(r.Id, "route", r.Model, r.ProviderId, r.Priority, r.Weight, r.CreatedAt.ToUnixTimeSeconds());

    private static ApiError ProviderNotFound(string id) => ApiError.NotFound($"No provider with id '{id}'.", "provider_not_found");
}

internal sealed record Deleted(string Id, string Object, [property: System.Text.Json.Serialization.JsonPropertyName("deleted")] bool IsDeleted);

/// <summary><c>POST /admin/providers/{id}/test</c>: whether the keys work, what was called, how long it took, and why not.</summary>
internal sealed record ProviderTest(
    bool Ok, string Checked, long LatencyMs,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)] ProviderTestError? Error);

internal sealed record ProviderTestError(string Code, string Message);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
[System.Text.Json.Serialization.JsonSerializable(typeof(Deleted))]
[System.Text.Json.Serialization.JsonSerializable(typeof(ProviderTest))]
internal sealed partial class ProviderAdminJson : System.Text.Json.Serialization.JsonSerializerContext;
