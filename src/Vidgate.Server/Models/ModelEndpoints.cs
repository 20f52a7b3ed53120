using System.Diagnostics;
using Vidgate.Contracts;
using Vidgate.Server.Accounts;
using Vidgate.Server.Dialects;

namespace Vidgate.Server.Models;

/// <summary>
/// <c>GET /v1/models</c>: OpenAI's model list, each entry with the limits a create is checked against. Every key may use
/// every catalog model today; per-key model grants will narrow this list when they exist.
/// </summary>
internal static class ModelEndpoints
{
    // OpenAI's "created" is a Unix time; the catalog has no history, so the server's start stands in for it.
    private static readonly long Created = new DateTimeOffset(Process.GetCurrentProcess().StartTime.ToUniversalTime()).ToUnixTimeSeconds();

    private static readonly string[] ImageTypes = ["image/png", "image/jpeg", "image/webp"];

    public static IEndpointRouteBuilder MapModels(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/v1/models").RequireCaller().MapGet("", List);
        return routes;
    }

    private static IResult List(ModelCatalog catalog)
    {
        var models = catalog.All
            .OrderBy(m => m.Key, StringComparer.Ordinal)
            .Select(m => new ModelInfo(m.Key, "model", Created, "vidgate", Limits(m.Value)))
            .ToList();
        return TypedResults.Json(new ListOf<ModelInfo>("list", models), ContractsJson.Wire.ListOfModelInfo);
    }

    private static ModelLimits Limits(ModelSpec spec)
    {
        var fixedSeconds = spec.FixedSeconds;
        return new ModelLimits(
            fixedSeconds ?? (spec.AllowedSeconds.Length > 0 ? spec.AllowedSeconds.Min() : 1),
            fixedSeconds ?? spec.MaxSeconds,
            fixedSeconds ?? spec.DefaultSeconds,
            fixedSeconds is { } f ? [f] : spec.AllowedSeconds.Length > 0 ? spec.AllowedSeconds : null,
            [.. spec.Resolutions.Select(r => $"{r}P")],
            spec.Sizes.Length > 0 ? spec.Sizes : null,
            spec.Sizes.Length > 0 ? [] : RequestRules.PresetRatios,
            spec.MaxImages,
            ImageTypes);
    }
}
