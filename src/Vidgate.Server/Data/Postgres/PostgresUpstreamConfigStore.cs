using System.Text.Json;
using Npgsql;
using Vidgate.Server.Providers;
using Vidgate.Server.Providers.Registry;

namespace Vidgate.Server.Data.Postgres;

/// <summary><see cref="IUpstreamConfigStore"/> on PostgreSQL (tables <c>upstream_providers</c>, <c>upstream_routes</c>).</summary>
internal sealed class PostgresUpstreamConfigStore(PostgresDatabase db) : IUpstreamConfigStore
{
    public Task<IReadOnlyList<ProviderRecord>> ProvidersAsync(CancellationToken ct) => db.ReadAsync(async connection =>
        (IReadOnlyList<ProviderRecord>)await Pg.Command(connection, "SELECT id, type, settings, created_at, updated_at FROM upstream_providers ORDER BY id;")
            .AllAsync(static r =>
            {
                var stored = JsonSerializer.Deserialize(r.GetString(2), UpstreamStoreJson.Default.StoredSettings)!;
                return new ProviderRecord(stored.ToSettings(r.GetString(0), r.GetString(1)), r.Time(3), r.Time(4));
            }, ct), ct);

    public Task<IReadOnlyList<RouteRecord>> RoutesAsync(CancellationToken ct) => db.ReadAsync(async connection =>
        (IReadOnlyList<RouteRecord>)await Pg.Command(connection, "SELECT id, model, provider_id, priority, weight, created_at FROM upstream_routes ORDER BY model, priority, id;")
            .AllAsync(static r => new RouteRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt32(3), r.GetInt32(4), r.Time(5)), ct), ct);

    public Task<bool> SaveProviderAsync(UpstreamSettings settings, bool create, DateTimeOffset now, CancellationToken ct) => db.WriteAsync(connection =>
        Pg.Command(connection, create
                ? "INSERT INTO upstream_providers (id, type, settings, created_at, updated_at) VALUES (@id, @type, @settings, @now, @now) ON CONFLICT (id) DO NOTHING;"
                : "UPDATE upstream_providers SET type = @type, settings = @settings, updated_at = @now WHERE id = @id;")
            .Bind("id", settings.Id).Bind("type", settings.Type)
            .Bind("settings", JsonSerializer.Serialize(StoredSettings.From(settings), UpstreamStoreJson.Default.StoredSettings))
            .Bind("now", Pg.Ms(now)).ChangedAsync(ct), ct);

    public Task<DeleteOutcome> DeleteProviderAsync(string id, CancellationToken ct) => db.WriteAsync(async connection =>
    {
        // Locked first, so a route or a job added by another node meanwhile waits for this delete (or sees it done).
        if (!await ExistsAsync(connection, "SELECT 1 FROM upstream_providers WHERE id = @id FOR UPDATE;", id, ct))
        {
            return DeleteOutcome.Missing;
        }

        if (await ExistsAsync(connection, "SELECT 1 FROM upstream_routes WHERE provider_id = @id LIMIT 1;", id, ct))
        {
            return DeleteOutcome.HasRoutes;
        }

        if (await ExistsAsync(connection, """
                SELECT 1 FROM upstream_jobs j JOIN tasks t ON t.id = j.task_id
                 WHERE j.provider_id = @id AND t.status = 'processing' LIMIT 1;
                """, id, ct))
        {
            return DeleteOutcome.InUse;
        }

        return await ExistsAsync(connection, "DELETE FROM upstream_providers WHERE id = @id RETURNING 1;", id, ct) ? DeleteOutcome.Deleted : DeleteOutcome.Missing;
    }, ct);

    public Task<bool> AddRouteAsync(RouteRecord route, CancellationToken ct) => db.WriteAsync(connection =>
        Pg.Command(connection, """
            INSERT INTO upstream_routes (id, model, provider_id, priority, weight, created_at)
            SELECT @id, @model, @provider, @priority, @weight, @now WHERE EXISTS (SELECT 1 FROM upstream_providers WHERE id = @provider::text);
            """).Bind("id", route.Id).Bind("model", route.Model).Bind("provider", route.ProviderId).Bind("priority", route.Priority)
            .Bind("weight", route.Weight).Bind("now", Pg.Ms(route.CreatedAt)).ChangedAsync(ct), ct);

    public Task<bool> DeleteRouteAsync(string id, CancellationToken ct)
        => db.WriteAsync(connection => ExistsAsync(connection, "DELETE FROM upstream_routes WHERE id = @id RETURNING 1;", id, ct), ct);

    private static async Task<bool> ExistsAsync(NpgsqlConnection connection, string sql, string id, CancellationToken ct)
        => await Pg.Command(connection, sql).Bind("id", id).ScalarAsync(ct) is not null;
}
