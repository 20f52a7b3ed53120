using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Providers.Registry;

/// <summary>A stored provider instance: its settings (keys included) and when it was written.</summary>
internal sealed record ProviderRecord(UpstreamSettings Settings, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>One route of a model to a provider instance: lower <see cref="Priority"/> first, <see cref="Weight"/> among equals.</summary>
internal sealed record RouteRecord(string Id, string Model, string ProviderId, int Priority, int Weight, DateTimeOffset CreatedAt);

/// <summary>Provider instances and routes in SQLite (tables of migration 0005).</summary>
internal sealed class UpstreamConfigStore(SqliteDatabase db)
{
    public Task<IReadOnlyList<ProviderRecord>> ProvidersAsync(CancellationToken ct) => db.ReadAsync(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, type, settings, created_at, updated_at FROM upstream_providers ORDER BY id;";
        using var reader = command.ExecuteReader();
        var list = new List<ProviderRecord>();
        while (reader.Read())
        {
            var stored = JsonSerializer.Deserialize(reader.GetString(2), UpstreamStoreJson.Default.StoredSettings)!;
            list.Add(new ProviderRecord(stored.ToSettings(reader.GetString(0), reader.GetString(1)), Time(reader, 3), Time(reader, 4)));
        }

        return (IReadOnlyList<ProviderRecord>)list;
    }, ct);

    public Task<IReadOnlyList<RouteRecord>> RoutesAsync(CancellationToken ct) => db.ReadAsync(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, model, provider_id, priority, weight, created_at FROM upstream_routes ORDER BY model, priority, id;";
        using var reader = command.ExecuteReader();
        var list = new List<RouteRecord>();
        while (reader.Read())
        {
            list.Add(new RouteRecord(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), reader.GetInt32(4), Time(reader, 5)));
        }

        return (IReadOnlyList<RouteRecord>)list;
    }, ct);

    /// <summary>Inserts (when <paramref name="create"/>) or replaces an instance. False: it exists (create) or is missing (update).</summary>
    public Task<bool> SaveProviderAsync(UpstreamSettings settings, bool create, DateTimeOffset now, CancellationToken ct) => db.WriteAsync(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = create
            ? "INSERT INTO upstream_providers (id, type, settings, created_at, updated_at) VALUES ($id, $type, $settings, $now, $now) ON CONFLICT (id) DO NOTHING;"
            : "UPDATE upstream_providers SET type = $type, settings = $settings, updated_at = $now WHERE id = $id;";
        command.Parameters.AddWithValue("$id", settings.Id);
        command.Parameters.AddWithValue("$type", settings.Type);
        command.Parameters.AddWithValue("$settings", JsonSerializer.Serialize(StoredSettings.From(settings), UpstreamStoreJson.Default.StoredSettings));
        command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        return command.ExecuteNonQuery() > 0;
    }, ct);

    /// <summary>Removes an instance unless routes point at it or tasks are in flight on it.</summary>
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

    /// <summary>Adds a route if its provider exists (checked in the same write). False: the provider is gone.</summary>
    public Task<bool> AddRouteAsync(RouteRecord route, CancellationToken ct) => db.WriteAsync(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO upstream_routes (id, model, provider_id, priority, weight, created_at)
            SELECT $id, $model, $provider, $priority, $weight, $now WHERE EXISTS (SELECT 1 FROM upstream_providers WHERE id = $provider);
            """;
        command.Parameters.AddWithValue("$id", route.Id);
        command.Parameters.AddWithValue("$model", route.Model);
        command.Parameters.AddWithValue("$provider", route.ProviderId);
        command.Parameters.AddWithValue("$priority", route.Priority);
        command.Parameters.AddWithValue("$weight", route.Weight);
        command.Parameters.AddWithValue("$now", route.CreatedAt.ToUnixTimeMilliseconds());
        return command.ExecuteNonQuery() > 0;
    }, ct);

    public Task<bool> DeleteRouteAsync(string id, CancellationToken ct)
        => db.WriteAsync(connection => Count(connection, "DELETE FROM upstream_routes WHERE id = $id RETURNING 1;", id) > 0, ct);

    private static long Count(SqliteConnection connection, string sql, string id)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$id", id);
        using var reader = command.ExecuteReader();
        return reader.Read() ? reader.GetInt64(0) : 0;
    }

    private static DateTimeOffset Time(SqliteDataReader reader, int ordinal) => DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));
}

internal enum DeleteOutcome
{
    Deleted,
    Missing,
    HasRoutes,
    InUse,
}

/// <summary>The JSON kept in <c>upstream_providers.settings</c>.</summary>
internal sealed record StoredSettings(
    string BaseUrl,
    string[] ApiKeys,
    double RequestTimeoutSeconds,
    int MaxConcurrentJobs,
    double MaxRequestsPerSecond,
    Dictionary<string, string> ModelMap,
    JsonElement? Options)
{
    public static StoredSettings From(UpstreamSettings s) => new(
        s.BaseUrl.ToString(), [.. s.ApiKeys], s.RequestTimeout.TotalSeconds, s.MaxConcurrentJobs, s.MaxRequestsPerSecond,
        new Dictionary<string, string>(s.ModelMap, StringComparer.Ordinal), s.Options);

    public UpstreamSettings ToSettings(string id, string type) => new(
        id, type, new Uri(BaseUrl), ApiKeys, TimeSpan.FromSeconds(RequestTimeoutSeconds), MaxConcurrentJobs, MaxRequestsPerSecond,
        new Dictionary<string, string>(ModelMap, StringComparer.Ordinal), Options);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(StoredSettings))]
internal sealed partial class UpstreamStoreJson : JsonSerializerContext;
