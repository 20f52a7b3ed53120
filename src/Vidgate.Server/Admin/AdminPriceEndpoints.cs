using Vidgate.Contracts;
using Vidgate.Server.Accounts;
using Vidgate.Server.Billing;
using Vidgate.Server.Models;

namespace Vidgate.Server.Admin;

/// <summary>
/// <c>/admin/prices</c>: list, set (PUT one model × resolution) and remove. Prices are micro-units per second of output
/// at a short side in pixels (720 = 720P), plus per reference image. A change applies to creates from then on; tasks
/// already created keep the price they were held at.
/// </summary>
internal static class AdminPriceEndpoints
{
    public static RouteGroupBuilder MapAdminPrices(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/admin/prices").RequireCaller(admin: true);
        group.MapGet("", List)
            .WithVidgateDocs("Admin: prices", "List the prices per model and resolution", DocAuth.AdminKey).Produces<ListOf<PriceInfo>>();
        group.MapPut("", Put)
            .WithVidgateDocs("Admin: prices", "Set a model's price at a resolution", DocAuth.AdminKey, 400)
            .Takes(RouteDocs.Json, null, typeof(PriceRequest)).Produces<ListOf<PriceInfo>>();
        group.MapDelete("/{model}/{resolution:int}", Delete)
            .WithVidgateDocs("Admin: prices", "Remove a price", DocAuth.AdminKey, 404).Produces<ListOf<PriceInfo>>();
        return group;
    }

    private static async Task<IResult> List(PriceBook prices, CancellationToken ct)
    {
        await prices.ReloadAsync(ct);
        var rows = prices.All().Select(p => new PriceInfo(p.Model, "price", p.Resolution, p.PerSecond, p.PerImage, p.UpdatedAt.ToUnixTimeSeconds()));
        return TypedResults.Json(new ListOf<PriceInfo>("list", [.. rows]), ContractsJson.Wire.ListOfPriceInfo);
    }

    private static async Task<IResult> Put(HttpRequest request, IBillingStore store, PriceBook prices, ModelCatalog catalog, CancellationToken ct)
    {
        var (body, error) = await AdminJson.ReadAsync(request, ContractsJson.Wire.PriceRequest, ct);
        error ??= body?.Model is not { } model || catalog.Find(model) is null
            ? ApiError.Invalid("model", $"Unknown model '{body?.Model}'. GET /v1/models lists them.", "model_not_found")
            : body.Resolution is not (> 0 and <= 4320)
                ? ApiError.Invalid("resolution", "resolution is the short side in pixels, e.g. 480 or 720.")
                : body.PerSecondMicros is not (>= 0)
                    ? ApiError.Invalid("per_second_micros", "per_second_micros is a whole number ≥ 0 (micro-units per second of output).")
                    : body.PerImageMicros is < 0
                        ? ApiError.Invalid("per_image_micros", "per_image_micros is a whole number ≥ 0.")
                        : null;
        if (error is not null)
        {
            return error.ToResult();
        }

        await store.UpsertPriceAsync(body!.Model!, body.Resolution!.Value, body.PerSecondMicros!.Value, body.PerImageMicros ?? 0, ct);
        return await List(prices, ct);
    }

    private static async Task<IResult> Delete(string model, int resolution, IBillingStore store, PriceBook prices, CancellationToken ct)
    {
        if (!await store.DeletePriceAsync(model, resolution, ct))
        {
            return ApiError.NotFound($"No price for '{model}' at {resolution}P.", "price_not_found").ToResult();
        }

        return await List(prices, ct);
    }
}
