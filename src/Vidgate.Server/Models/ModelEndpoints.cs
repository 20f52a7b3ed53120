using System.Diagnostics;
using Vidgate.Contracts;
using Vidgate.Server.Accounts;
using Vidgate.Server.Billing;
using Vidgate.Server.Dialects;

namespace Vidgate.Server.Models;

/// <summary>
/// <c>GET /v1/models</c>: OpenAI's model list, each entry with the limits a create is checked against (the model's,
/// narrowed by the caller's tier) and the caller's own price (the tier's multiplier applied). Models outside the tier
/// and models with no price are left out: the list is what this key can actually use.
/// </summary>
internal static class ModelEndpoints
{
    // OpenAI's "created" is a Unix time; the catalog has no history, so the server's start stands in for it.
    private static readonly long Created = new DateTimeOffset(Process.GetCurrentProcess().StartTime.ToUniversalTime()).ToUnixTimeSeconds();

    private static readonly string[] ImageTypes = ["image/png", "image/jpeg", "image/webp"];

    public static IEndpointRouteBuilder MapModels(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/v1/models").RequireCaller().MapGet("", List)
            .WithVidgateDocs("Models", "List the models with their limits and prices").Produces<ListOf<ModelInfo>>();
        return routes;
    }

    private static IResult List(HttpContext http, ModelCatalog catalog, PriceBook prices)
    {
        var plan = http.Caller().Plan;
        var models = catalog.All
            .Where(m => plan.Allows(m.Key))
            .OrderBy(m => m.Key, StringComparer.Ordinal)
            .Select(m => (m.Key, m.Value, Pricing: Pricing(m.Key, m.Value, plan, prices)))
            .Where(m => m.Pricing.Count > 0)
            .Select(m => new ModelInfo(m.Key, "model", Created, "vidgate", Limits(m.Value, plan), m.Pricing))
            .ToList();
        return TypedResults.Json(new ListOf<ModelInfo>("list", models), ContractsJson.Wire.ListOfModelInfo);
    }

    /// <summary>Per resolution the model offers (within the plan): what one second and one image cost this caller.</summary>
    private static List<ModelPrice> Pricing(string model, ModelSpec spec, Plan plan, PriceBook prices)
        => [.. Resolutions(spec, plan)
            .Select(r => (r, Price: prices.Find(model, r)))
            .Where(p => p.Price is not null)
            .Select(p => new ModelPrice($"{p.r}P",
                Money.Cost(p.Price!.PerSecond, 1, 0, 0, plan.PriceMultiplier), Money.Cost(0, 0, p.Price.PerImage, 1, plan.PriceMultiplier)))];

    private static IEnumerable<int> Resolutions(ModelSpec spec, Plan plan) => spec.Resolutions.Where(r => plan.MaxResolution is not { } max || r <= max);

    private static ModelLimits Limits(ModelSpec spec, Plan plan)
    {
        var fixedSeconds = spec.FixedSeconds;
        var maxSeconds = plan.MaxSeconds is { } planMax ? Math.Min(planMax, spec.MaxSeconds) : spec.MaxSeconds;
        return new ModelLimits(
            fixedSeconds ?? (spec.AllowedSeconds.Length > 0 ? spec.AllowedSeconds.Min() : 1),
            fixedSeconds ?? maxSeconds,
            fixedSeconds ?? Math.Min(spec.DefaultSeconds, maxSeconds),
            fixedSeconds is { } f ? [f] : spec.AllowedSeconds.Length > 0 ? [.. spec.AllowedSeconds.Where(s => s <= maxSeconds)] : null,
            [.. Resolutions(spec, plan).Select(r => $"{r}P")],
            spec.Sizes.Length > 0 ? spec.Sizes : null,
            spec.Sizes.Length > 0 ? [] : RequestRules.PresetRatios,
            spec.MaxImages,
            ImageTypes);
    }
}
