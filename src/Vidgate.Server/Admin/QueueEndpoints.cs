using System.Globalization;
using System.Text.Json.Serialization;
using Vidgate.Server.Accounts;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Admin;

/// <summary>
/// <c>GET /admin/queue</c>: the live queue for operators. Every unfinished task counted by where it is (queued,
/// submitting, running, tracking, finishing) and by provider instance, how long the oldest queued task has waited, and
/// the oldest unfinished tasks. One read of the store, so every node answers the same for a shared database.
/// </summary>
internal static class QueueEndpoints
{
    private const int DefaultLimit = 20;
    private const int MaxLimit = 200;

    public static IEndpointRouteBuilder MapAdminQueue(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/admin/queue").RequireCaller(admin: true).MapGet("", Read)
            .WithVidgateDocs("Admin: queue", "The live queue: unfinished tasks by state and provider, the oldest waiting, the oldest tasks", DocAuth.AdminKey, 400)
            .Param("limit", $"How many of the oldest unfinished tasks to list: 0 to {MaxLimit}, default {DefaultLimit}.")
            .Produces<QueueReport>();
        return routes;
    }

    private static async Task<IResult> Read(string? limit, ITaskStore store, TimeProvider clock, CancellationToken ct)
    {
        var size = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size > MaxLimit))
        {
            return ApiError.Invalid("limit", $"'limit' must be a whole number from 0 to {MaxLimit}.", "invalid_limit").ToResult();
        }

        var now = clock.GetUtcNow();
        var snapshot = await store.QueueAsync(size, ct);
        var states = QueueStates.All.ToDictionary(s => s, s => snapshot.Counts.Where(c => c.State == s).Sum(c => c.Count), StringComparer.Ordinal);
        var providers = snapshot.Counts.GroupBy(c => c.Provider, StringComparer.Ordinal)
            .Select(g => new ProviderQueue(g.Key, g.Sum(c => c.Count),
                QueueStates.All.ToDictionary(s => s, s => g.Where(c => c.State == s).Sum(c => c.Count), StringComparer.Ordinal)))
            .OrderByDescending(p => p.Total).ThenBy(p => p.Provider, StringComparer.Ordinal)
            .ToList();
        var tasks = snapshot.Oldest.Select(t => new QueueTaskInfo(
            t.Id, t.AccountId, t.Model, t.Provider, t.State, t.Progress, t.CreatedAt.ToUnixTimeSeconds(), Age(now, t.CreatedAt))).ToList();
        return TypedResults.Json(
            new QueueReport("admin.queue", now.ToUnixTimeSeconds(), states.Values.Sum(), states, providers,
                snapshot.OldestWaitingSince is { } since ? Age(now, since) : null, tasks),
            QueueJson.Default.QueueReport);
    }

    // Whole seconds, never negative: another node's clock may run a little ahead of this one's.
    private static long Age(DateTimeOffset now, DateTimeOffset since) => Math.Max(0, (long)(now - since).TotalSeconds);
}

/// <summary>
/// <c>GET /admin/queue</c>. <see cref="States"/> always names all five states (zero included); <see cref="OldestWaitingSeconds"/>
/// is the age of the oldest task still queued (null: none waits); <see cref="Tasks"/> lists the oldest unfinished tasks.
/// </summary>
internal sealed record QueueReport(
    string Object, long Now, long Total, IReadOnlyDictionary<string, long> States, IReadOnlyList<ProviderQueue> Providers,
    long? OldestWaitingSeconds, IReadOnlyList<QueueTaskInfo> Tasks);

internal sealed record ProviderQueue(string Provider, long Total, IReadOnlyDictionary<string, long> States);

internal sealed record QueueTaskInfo(string Id, string AccountId, string Model, string Provider, string State, int Progress, long CreatedAt, long AgeSeconds);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(QueueReport))]
internal sealed partial class QueueJson : JsonSerializerContext;
