using Vidgate.Contracts;
using Vidgate.Server.Accounts;
using Vidgate.Server.Billing;
using Vidgate.Server.Models;

namespace Vidgate.Server.Admin;

/// <summary><c>/admin/tiers</c>: list, and PUT to create or replace one (absent limits mean none).</summary>
internal static class AdminTierEndpoints
{
    private const decimal MaxMultiplier = 1000m;

    public static RouteGroupBuilder MapAdminTiers(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/admin/tiers").RequireCaller(admin: true);
        group.MapGet("", List).WithVidgateDocs("Admin: tiers", "List the pricing tiers", DocAuth.AdminKey).Produces<ListOf<TierInfo>>();
        group.MapPut("/{id}", Put)
            .WithVidgateDocs("Admin: tiers", "Create or replace a tier", DocAuth.AdminKey, 400)
            .Takes(RouteDocs.Json, null, typeof(TierRequest)).Produces<TierInfo>();
        return group;
    }

    private static async Task<IResult> List(IBillingStore store, CancellationToken ct)
        => TypedResults.Json(new ListOf<TierInfo>("list", [.. (await store.ListTiersAsync(ct)).Select(Info)]), ContractsJson.Wire.ListOfTierInfo);

    private static async Task<IResult> Put(string id, HttpRequest request, IBillingStore store, ApiKeys keys, ModelCatalog catalog, CancellationToken ct)
    {
        var (body, error) = await AdminJson.ReadAsync(request, ContractsJson.Wire.TierRequest, ct);
        error ??= Validate(id, body!, catalog);
        if (error is not null)
        {
            return error.ToResult();
        }

        var multiplier = (long)((body!.PriceMultiplier ?? 1m) * Money.Unit);
        var tier = await store.UpsertTierAsync(
            new Tier(id, multiplier, body.AllowedModels, body.MaxSeconds, body.MaxResolution, body.RequestsPerMinute, body.MaxInFlight, default), ct);
        keys.Forget();
        return TypedResults.Json(Info(tier), ContractsJson.Wire.TierInfo);
    }

    private static ApiError? Validate(string id, TierRequest body, ModelCatalog catalog)
    {
        if (id.Length is 0 or > 64 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            return ApiError.Invalid("id", "A tier id is 1–64 letters, digits, '-', '_' or '.'.");
        }

        if (body.PriceMultiplier is { } m && (m < 0 || m > MaxMultiplier || decimal.Round(m, 6) != m))
        {
            return ApiError.Invalid("price_multiplier", $"price_multiplier is a number from 0 to {MaxMultiplier} with at most 6 decimals (1 = list price).");
        }

        if (body.AllowedModels?.Any(string.IsNullOrWhiteSpace) == true)
        {
            return ApiError.Invalid("allowed_models", "allowed_models is a list of model names (no nulls or empty names), or absent for every model.");
        }

        if (body.AllowedModels?.FirstOrDefault(name => catalog.Find(name) is null) is { } unknown)
        {
            return ApiError.Invalid("allowed_models", $"Unknown model '{unknown}'. GET /v1/models lists them.", "model_not_found");
        }

        (string Name, int? Value)[] limits =
            [("max_seconds", body.MaxSeconds), ("max_resolution", body.MaxResolution), ("requests_per_minute", body.RequestsPerMinute), ("max_in_flight", body.MaxInFlight)];
        return limits.FirstOrDefault(l => l.Value is <= 0) is { Name: { } name }
            ? ApiError.Invalid(name, $"{name} must be a positive whole number, or absent for no limit.")
            : null;
    }

    private static TierInfo Info(Tier t) => new(
        t.Id, "tier", (decimal)t.PriceMultiplier / Money.Unit, t.AllowedModels, t.MaxSeconds, t.MaxResolution, t.RequestsPerMinute, t.MaxInFlight,
        t.UpdatedAt.ToUnixTimeSeconds());
}
