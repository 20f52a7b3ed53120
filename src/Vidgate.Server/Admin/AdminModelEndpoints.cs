using Vidgate.Server.Accounts;
using Vidgate.Server.Models;

namespace Vidgate.Server.Admin;

/// <summary>
/// <c>/admin/models</c> (admin keys only): the model catalog, edited at runtime. Every edit is applied on this node
/// before the answer (the catalog re-reads the store) and on other nodes at their next reload.
/// </summary>
internal static class AdminModelEndpoints
{
    public static IEndpointRouteBuilder MapAdminModels(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/admin/models").RequireCaller(admin: true);
        group.MapGet("", List)
            .WithVidgateDocs("Admin: models", "List the model catalog", DocAuth.AdminKey).Produces<ModelDefinitionList>();
        group.MapGet("/{name}", Get)
            .WithVidgateDocs("Admin: models", "Get a catalog model", DocAuth.AdminKey, 404).Produces<ModelDefinitionInfo>();
        group.MapPost("", Create)
            .WithVidgateDocs("Admin: models", "Add a model to the catalog", DocAuth.AdminKey, 400, 409)
            .Takes(RouteDocs.Json, null, typeof(ModelDefinition)).Produces<ModelDefinitionInfo>();
        group.MapPut("/{name}", Update)
            .WithVidgateDocs("Admin: models", "Replace a catalog model's limits", DocAuth.AdminKey, 400, 404)
            .Takes(RouteDocs.Json, null, typeof(ModelDefinition)).Produces<ModelDefinitionInfo>();
        group.MapDelete("/{name}", Delete)
            .WithVidgateDocs("Admin: models", "Remove a model from the catalog", DocAuth.AdminKey, 404, 409).Produces<ModelDeleted>();
        return routes;
    }

    private static async Task<IResult> List(IModelStore store, ModelCatalog catalog, CancellationToken ct)
    {
        await catalog.EnsureLoadedAsync(ct);
        return TypedResults.Json(new ModelDefinitionList("list", [.. (await store.ModelsAsync(ct)).Select(ModelDefinitionInfo.From)]),
            ModelAdminJson.Default.ModelDefinitionList);
    }

    private static async Task<IResult> Get(string name, IModelStore store, ModelCatalog catalog, CancellationToken ct)
    {
        await catalog.EnsureLoadedAsync(ct);
        return (await store.ModelsAsync(ct)).FirstOrDefault(r => r.Name == name) is { } record
            ? TypedResults.Json(ModelDefinitionInfo.From(record), ModelAdminJson.Default.ModelDefinitionInfo)
            : NotFound(name).ToResult();
    }

    private static Task<IResult> Create(HttpRequest request, IModelStore store, ModelCatalog catalog, TimeProvider clock, CancellationToken ct)
        => SaveAsync(request, null, store, catalog, clock, ct);

    private static Task<IResult> Update(string name, HttpRequest request, IModelStore store, ModelCatalog catalog, TimeProvider clock, CancellationToken ct)
        => SaveAsync(request, name, store, catalog, clock, ct);

    private static async Task<IResult> SaveAsync(HttpRequest request, string? urlName, IModelStore store, ModelCatalog catalog, TimeProvider clock, CancellationToken ct)
    {
        var (body, error) = await AdminJson.ReadAsync(request, ModelAdminJson.Default.ModelDefinition, ct);
        if (error is not null)
        {
            return error.ToResult();
        }

        if (urlName is not null && body!.Name is { } bodyName && bodyName != urlName)
        {
            return ApiError.Invalid("name", $"The body names '{bodyName}' but the URL '{urlName}'; a model cannot be renamed (add the new name, move routes, remove the old).").ToResult();
        }

        var name = urlName ?? body!.Name ?? "";
        // The latest catalog (another node may have edited it) decides aliases and whether the model exists.
        await catalog.ReloadAsync(ct);
        var existing = (await store.ModelsAsync(ct)).FirstOrDefault(r => r.Name == name);
        if (urlName is not null && existing is null)
        {
            return NotFound(urlName).ToResult();
        }

        var (spec, invalid) = ModelRules.ToSpec(name, body!, catalog.Find, existing?.Spec.Provider ?? new ModelSpec().Provider);
        if (invalid is not null)
        {
            return invalid.ToResult();
        }

        var now = clock.GetUtcNow();
        if (!await store.SaveAsync(name, spec!, create: urlName is null, now, ct))
        {
            return urlName is null
                ? ApiError.Conflict("model_exists", $"A model named '{name}' already exists; change it with PUT /admin/models/{name}.").ToResult()
                : NotFound(urlName).ToResult();
        }

        await catalog.ReloadAsync(ct);
        return TypedResults.Json(ModelDefinitionInfo.From(new ModelRecord(name, spec!, existing?.CreatedAt ?? now, now)), ModelAdminJson.Default.ModelDefinitionInfo);
    }

    private static async Task<IResult> Delete(string name, IModelStore store, ModelCatalog catalog, CancellationToken ct)
    {
        await catalog.EnsureLoadedAsync(ct);
        var outcome = await store.DeleteAsync(name, ct);
        await catalog.ReloadAsync(ct);
        return outcome switch
        {
            ModelDeleteOutcome.Deleted => TypedResults.Json(new ModelDeleted(name, "model.deleted", true), ModelAdminJson.Default.ModelDeleted),
            ModelDeleteOutcome.HasRoutes => ApiError.Conflict("model_has_routes", $"Routes still send model '{name}' to providers; delete them first (GET /admin/routes?model={name}).").ToResult(),
            ModelDeleteOutcome.HasAliases => ApiError.Conflict("model_has_aliases", $"Other models are aliases of '{name}'; remove or repoint them first (GET /admin/models).").ToResult(),
            ModelDeleteOutcome.InUse => ApiError.Conflict("model_in_use", $"Tasks of model '{name}' are still queued or running; wait for them to finish.").ToResult(),
            _ => NotFound(name).ToResult(),
        };
    }

    private static ApiError NotFound(string name) => ApiError.NotFound($"No model named '{name}' in the catalog.", "model_not_found");
}
