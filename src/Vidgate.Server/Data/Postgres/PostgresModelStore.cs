using Npgsql;
using Vidgate.Server.Models;

namespace Vidgate.Server.Data.Postgres;

/// <summary><see cref="IModelStore"/> on PostgreSQL (table <c>models</c> of migration 0004).</summary>
internal sealed class PostgresModelStore(PostgresDatabase db) : IModelStore
{
    private const string SeededMarker = "models_seeded";

    public Task<IReadOnlyList<ModelRecord>> ModelsAsync(CancellationToken ct) => db.ReadAsync(async connection =>
        (IReadOnlyList<ModelRecord>)await Pg.Command(connection, "SELECT name, spec, created_at, updated_at FROM models ORDER BY name;")
            .AllAsync(static r => new ModelRecord(r.GetString(0), ModelStoreJson.Read(r.GetString(1)), r.Time(2), r.Time(3)), ct), ct);

    public Task<bool> SeedAsync(IReadOnlyList<ModelRecord> models, CancellationToken ct) => db.WriteAsync(async connection =>
    {
        // Nodes starting together: the second insert of the marker waits for the first commit, then changes nothing.
        if (!await Pg.Command(connection, "INSERT INTO settings (name, value) VALUES (@name, '1') ON CONFLICT (name) DO NOTHING;")
                .Bind("name", SeededMarker).ChangedAsync(ct))
        {
            return false;
        }

        foreach (var model in models)
        {
            await Pg.Command(connection, "INSERT INTO models (name, spec, created_at, updated_at) VALUES (@name, @spec, @now, @now) ON CONFLICT (name) DO NOTHING;")
                .Bind("name", model.Name).Bind("spec", ModelStoreJson.Write(model.Spec)).Bind("now", Pg.Ms(model.CreatedAt)).ChangedAsync(ct);
        }

        return true;
    }, ct);

    public Task<bool> SaveAsync(string name, ModelSpec spec, bool create, DateTimeOffset now, CancellationToken ct) => db.WriteAsync(connection =>
        Pg.Command(connection, create
                ? "INSERT INTO models (name, spec, created_at, updated_at) VALUES (@name, @spec, @now, @now) ON CONFLICT (name) DO NOTHING;"
                : "UPDATE models SET spec = @spec, updated_at = @now WHERE name = @name;")
            .Bind("name", name).Bind("spec", ModelStoreJson.Write(spec)).Bind("now", Pg.Ms(now)).ChangedAsync(ct), ct);

    public Task<ModelDeleteOutcome> DeleteAsync(string name, CancellationToken ct) => db.WriteAsync(async connection =>
    {
        // Locked first, so an edit of the same model on another node waits for this delete (or sees it done).
        if (!await ExistsAsync(connection, "SELECT 1 FROM models WHERE name = @name FOR UPDATE;", name, ct))
        {
            return ModelDeleteOutcome.Missing;
        }

        if (await ExistsAsync(connection, "SELECT 1 FROM upstream_routes WHERE model = @name LIMIT 1;", name, ct))
        {
            return ModelDeleteOutcome.HasRoutes;
        }

        var aliases = await Pg.Command(connection, "SELECT spec FROM models WHERE name <> @name;").Bind("name", name)
            .AllAsync(static r => ModelStoreJson.Read(r.GetString(0)).AliasOf, ct);
        if (aliases.Contains(name, StringComparer.Ordinal))
        {
            return ModelDeleteOutcome.HasAliases;
        }

        if (await ExistsAsync(connection, "SELECT 1 FROM tasks WHERE status IN ('queued', 'processing') AND model = @name LIMIT 1;", name, ct))
        {
            return ModelDeleteOutcome.InUse;
        }

        return await ExistsAsync(connection, "DELETE FROM models WHERE name = @name RETURNING 1;", name, ct) ? ModelDeleteOutcome.Deleted : ModelDeleteOutcome.Missing;
    }, ct);

    private static async Task<bool> ExistsAsync(NpgsqlConnection connection, string sql, string name, CancellationToken ct)
        => await Pg.Command(connection, sql).Bind("name", name).ScalarAsync(ct) is not null;
}
