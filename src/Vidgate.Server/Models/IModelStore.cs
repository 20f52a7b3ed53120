using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vidgate.Server.Models;

/// <summary>A stored catalog model: its name, limits and when it was written.</summary>
internal sealed record ModelRecord(string Name, ModelSpec Spec, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>The model catalog as the admin API edits it (one implementation per engine, in <c>Data/</c>).</summary>
internal interface IModelStore
{
    Task<IReadOnlyList<ModelRecord>> ModelsAsync(CancellationToken ct);

    /// <summary>
    /// Writes <paramref name="models"/> unless the catalog was seeded before (a marker, so a catalog emptied by the admin
    /// stays empty). True when this call seeded it; concurrent callers (nodes starting together) seed it once.
    /// </summary>
    Task<bool> SeedAsync(IReadOnlyList<ModelRecord> models, CancellationToken ct);

    /// <summary>Inserts (when <paramref name="create"/>) or replaces a model. False: it exists (create) or is missing (update).</summary>
    Task<bool> SaveAsync(string name, ModelSpec spec, bool create, DateTimeOffset now, CancellationToken ct);

    /// <summary>Removes a model unless routes, other models' aliases or unfinished tasks use it (checked in the same write).</summary>
    Task<ModelDeleteOutcome> DeleteAsync(string name, CancellationToken ct);
}

internal enum ModelDeleteOutcome
{
    Deleted,
    Missing,
    HasRoutes,
    HasAliases,
    InUse,
}

/// <summary>The JSON kept with a stored model (<c>models.spec</c>).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ModelSpec))]
internal sealed partial class ModelStoreJson : JsonSerializerContext
{
    public static string Write(ModelSpec spec) => JsonSerializer.Serialize(spec, Default.ModelSpec);

    public static ModelSpec Read(string json) => JsonSerializer.Deserialize(json, Default.ModelSpec)!;
}
