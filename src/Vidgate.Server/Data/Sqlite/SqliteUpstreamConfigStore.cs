using System.Text.Json;
using Microsoft.Data.Sqlite;
using Vidgate.Server.Providers;
using Vidgate.Server.Providers.Registry;

namespace Vidgate.Server.Data.Sqlite;

/// <summary><see cref="IUpstreamConfigStore"/> on SQLite (tables of migration 0005).</summary>
internal sealed class SqliteUpstreamConfigStore(SqliteDatabase db) : IUpstreamConfigStore
{
    public Task<IReadOnlyList<ProviderRecord>> ProvidersAsync(CancellationToken ct) => db.ReadAsync(connection =>
        (IReadOnlyList<ProviderRecord>)Sql.Command(connection, "SELECT id, type, settings, created_at, updated_at FROM upstream_providers ORDER BY id;")
            .All(static r =>
            {
                var stored = JsonSerializer.Deserialize(r.GetString(2), UpstreamStoreJson.Default.StoredSettings)!;
                return new ProviderRecord(stored.ToSettings(r.GetString(0), r.GetString(1)), r.Time(3), r.Time(4));
            }), ct);

    public Task<IReadOnlyList<RouteRecord>> RoutesAsync(CancellationToken ct) => db.ReadAsync(connection =>
        (IReadOnlyList<RouteRecord>)Sql.Command(connection, "SELECT id, model, provider_id, priority, weight, created_at FROM upstream_routes ORDER BY model, priority, id;")
            .All(static r => new RouteRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt32(3), r.GetInt32(4), r.Time(5))), ct);

    public Task<bool> SaveProviderAsync(UpstreamSettings settings, bool create, DateTimeOffset now, CancellationToken ct) => db.WriteAsync(connection =>
        Sql.Command(connection, create
                ? "INSERT INTO upstream_providers (id, type, settings, created_at, updated_at) VALUES ($id, $type, $settings, $now, $now) ON CONFLICT (id) DO NOTHING;"
                : "UPDATE upstream_providers SET type = $type, settings = $settings, updated_at = $now WHERE id = $id;")
            .Bind("$id", settings.Id).Bind("$type", settings.Type)
            .Bind("$settings", JsonSerializer.Serialize(StoredSettings.From(settings), UpstreamStoreJson.Default.StoredSettings))
            .Bind("$now", Sql.Ms(now)).Changed(), ct);

    public Task<DeleteOutcome> DeleteProviderAsync(string id, CancellationToken ct) => db.WriteAsync(connection =>
    {
        if (Count(connection, "SELECT COUNT(*) FROM upstream_routes WHERE provider_id = $id;", id) > 0)
        {
            return DeleteOutcome.HasRoutes;
        }

        if (Count(connection, """
                SELECT COUNT(*) FROM upstream_jobs j JOIN tasks t ON t.id = j.task_id
                 WHERE j.provider_id = $id AND t.status = 'processing';
                """, id) > 0)
        {
            return DeleteOutcome.InUse;
        }

        return Count(connection, "DELETE FROM upstream_providers WHERE id = $id RETURNING 1;", id) > 0 ? DeleteOutcome.Deleted : DeleteOutcome.Missing;
    }, ct);

    public Task<bool> AddRouteAsync(RouteRecord route, CancellationToken ct) => db.WriteAsync(connection =>
        Sql.Command(connection, """
            INSERT INTO upstream_routes (id, model, provider_id, priority, weight, created_at)
            SELECT $id, $model, $provider, $priority, $weight, $now WHERE EXISTS (SELECT 1 FROM upstream_providers WHERE id = $provider);
            """).Bind("$id", route.Id).Bind("$model", route.Model).Bind("$provider", route.ProviderId).Bind("$priority", route.Priority)
            .Bind("$weight", route.Weight).Bind("$now", Sql.Ms(route.CreatedAt)).Changed(), ct);

    public Task<bool> DeleteRouteAsync(string id, CancellationToken ct)
        => db.WriteAsync(connection => Count(connection, "DELETE FROM upstream_routes WHERE id = $id RETURNING 1;", id) > 0, ct);

    private static long Count(SqliteConnection connection, string sql, string id) => Sql.Command(connection, sql).Bind("$id", id).Scalar();
}
