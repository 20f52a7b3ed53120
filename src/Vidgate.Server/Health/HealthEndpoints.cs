using Microsoft.Extensions.Options;
using Vidgate.Contracts;
using Vidgate.Server.Providers;
using Vidgate.Server.Storage;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Health;

/// <summary><c>/healthz</c>: the process answers. <c>/readyz</c>: store open, providers usable, workers running or deliberately off.</summary>
internal static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/healthz", () => TypedResults.Json(new Contracts.Health("ok"), ContractsJson.Wire.Health))
            .WithVidgateDocs("Health", "Liveness: the process answers", DocAuth.None).Produces<Contracts.Health>();
        routes.MapGet("/readyz", Ready)
            .WithVidgateDocs("Health", "Readiness: database, storage and providers; 503 while not ready", DocAuth.None)
            .Produces<Contracts.Health>().Produces<Contracts.Health>(503);
        return routes;
    }

    private static async Task<IResult> Ready(ITaskStore store, IBlobStore blobs, IEnumerable<IVideoProvider> providers, IOptions<VidgateOptions> options, CancellationToken ct)
    {
        var checks = new Dictionary<string, string>(StringComparer.Ordinal);
        var ready = true;
        try
        {
            checks["store"] = await store.PingAsync(ct) ? "ok" : "unavailable";
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            checks["store"] = "unavailable: " + ex.Message;
        }

        ready &= checks["store"] == "ok";
        var storage = await blobs.CheckAsync(ct);
        checks["storage"] = storage ?? "ok";
        ready &= storage is null;
        foreach (var provider in providers)
        {
            var problem = await provider.CheckAsync(ct);
            checks["provider:" + provider.Settings.Id] = problem ?? "ok";
            ready &= problem is null;
        }

        checks["workers"] = options.Value.Workers ? "running" : "off";
        return TypedResults.Json(new Contracts.Health(ready ? "ready" : "not_ready", checks), ContractsJson.Wire.Health, statusCode: ready ? 200 : 503);
    }
}
