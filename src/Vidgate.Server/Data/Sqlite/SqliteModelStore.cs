using Microsoft.Data.Sqlite;
using Vidgate.Server.Models;

namespace Vidgate.Server.Data.Sqlite;

/// <summary><see cref="IModelStore"/> on SQLite (table <c>models</c> of migration 0009).</summary>
internal sealed class SqliteModelStore(SqliteDatabase db) : IModelStore
{
    private const string SeededMarker = "models_seeded";

    public Task<IReadOnlyList<ModelRecord>> ModelsAsync(CancellationToken ct) => db.ReadAsync(connection =>
        (IReadOnlyList<ModelRecord>)Sql.Command(connection, "SELECT name, spec, created_at, updated_at FROM models ORDER BY name;")
            .All(static r => new ModelRecord(r.GetString(0), ModelStoreJson.Read(r.GetString(1)), r.Time(2), r.Time(3))), ct);

    public Task<bool> SeedAsync(IReadOnlyList<ModelRecord> models, CancellationToken ct) => db.WriteAsync(connection =>
    {
        if (!Sql.Command(connection, "INSERT INTO settings (name, value) VALUES ($name, '1') ON CONFLICT (name) DO NOTHING;").Bind("$name", SeededMarker).Changed())
        {
            return false;
        }

        foreach (var model in models)
        {
            Sql.Command(connection, "INSERT INTO models (name, spec, created_at, updated_at) VALUES ($name, $spec, $now, $now) ON CONFLICT (name) DO NOTHING;")
                .Bind("$name", model.Name).Bind("$spec", ModelStoreJson.Write(model.Spec)).Bind("$now", Sql.Ms(model.CreatedAt)).Changed();
        }

        return true;
    }, ct);

    public Task<bool> SaveAsync(string name, ModelSpec spec, bool create, DateTimeOffset now, CancellationToken ct) => db.WriteAsync(connection =>
        Sql.Command(connection, create
                ? "INSERT INTO models (name, spec, created_at, updated_at) VALUES ($name, $spec, $now, $now) ON CONFLICT (name) DO NOTHING;"
                : "UPDATE models SET spec = $spec, updated_at = $now WHERE name = $name;")
            .Bind("$name", name).Bind("$spec", ModelStoreJson.Write(spec)).Bind("$now", Sql.Ms(now)).Changed(), ct);

    public Task<ModelDeleteOutcome> DeleteAsync(string name, CancellationToken ct) => db.WriteAsync(connection =>
    {
        if (Count(connection, "SELECT COUNT(*) FROM models WHERE name = $name;", name) == 0)
        {
            return ModelDeleteOutcome.Missing;
        }

        if (Count(connection, "SELECT COUNT(*) FROM upstream_routes WHERE model = $name;", name) > 0)
        {
            return ModelDeleteOutcome.HasRoutes;
        }

        var aliased = Sql.Command(connection, "SELECT spec FROM models WHERE name <> $name;").Bind("$name", name)
            .All(static r => ModelStoreJson.Read(r.GetString(0)).AliasOf);
        if (aliased.Contains(name, StringComparer.Ordinal))
        {
            return ModelDeleteOutcome.HasAliases;
        }

        if (Count(connection, "SELECT COUNT(*) FROM tasks WHERE status IN ('queued', 'processing') AND model = $name;", name) > 0)
        {
            return ModelDeleteOutcome.InUse;
        }

        return Count(connection, "DELETE FROM models WHERE name = $name RETURNING 1;", name) > 0 ? ModelDeleteOutcome.Deleted : ModelDeleteOutcome.Missing;
    }, ct);

    private static long Count(SqliteConnection connection, string sql, string name) => Sql.Command(connection, sql).Bind("$name", name).Scalar();
}
