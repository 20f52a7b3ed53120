using System.Data.Common;
using Vidgate.Server.Data;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Webhooks;

/// <summary>
/// Endpoints, callback secrets, the outbox and the attempt log, on either engine (<see cref="WebhookDb"/>). Every
/// transition of a delivery after its insert is conditional on this node's lease, as the task store's are.
/// </summary>
internal sealed class WebhookStore(WebhookDb db)
{
    private const string EndpointColumns = "id, account_id, url, events, secret, created_at, disabled_at, disabled_reason";

    private const string DeliveryColumns = """
        d.id, d.event_id, d.event_type, d.task_id, d.account_id, d.endpoint_id, d.url, d.status, d.attempts,
        d.next_attempt_at, d.body, d.last_status_code, d.last_error, d.created_at, d.finished_at
        """;

    // ---- endpoints ----

    /// <summary>Adds an endpoint unless the account has <paramref name="max"/> already (then null).</summary>
    public Task<WebhookEndpoint?> AddEndpointAsync(WebhookEndpoint endpoint, int max, CancellationToken ct) => db.WriteAsync(connection =>
    {
        var count = Db.Command(connection, "SELECT COUNT(*) FROM webhook_endpoints WHERE account_id = @account AND deleted_at IS NULL;",
            ("@account", endpoint.AccountId)).All(r => r.GetInt64(0))[0];
        if (count >= max)
        {
            return null;
        }

        Db.Command(connection, """
            INSERT INTO webhook_endpoints (id, account_id, url, events, secret, created_at)
            VALUES (@id, @account, @url, @events, @secret, @created);
            """,
            ("@id", endpoint.Id), ("@account", endpoint.AccountId), ("@url", endpoint.Url), ("@events", string.Join(',', endpoint.Events)),
            ("@secret", endpoint.Secret), ("@created", Db.Ms(endpoint.CreatedAt))).Run();
        return endpoint;
    }, ct);

    public Task<List<WebhookEndpoint>> ListEndpointsAsync(string accountId, CancellationToken ct) => db.ReadAsync(connection =>
        Db.Command(connection, $"SELECT {EndpointColumns} FROM webhook_endpoints WHERE account_id = @account AND deleted_at IS NULL ORDER BY id;",
            ("@account", accountId)).All(MapEndpoint), ct);

    public Task<WebhookEndpoint?> GetEndpointAsync(string id, string accountId, CancellationToken ct) => db.ReadAsync(connection =>
        Db.Command(connection, $"SELECT {EndpointColumns} FROM webhook_endpoints WHERE id = @id AND account_id = @account AND deleted_at IS NULL;",
            ("@id", id), ("@account", accountId)).One(MapEndpoint), ct);

    public Task<bool> DeleteEndpointAsync(string id, string accountId, DateTimeOffset now, CancellationToken ct) => db.WriteAsync(connection =>
        Db.Command(connection, "UPDATE webhook_endpoints SET deleted_at = @now WHERE id = @id AND account_id = @account AND deleted_at IS NULL;",
            ("@id", id), ("@account", accountId), ("@now", Db.Ms(now))).Run() > 0, ct);

    /// <summary>A new secret; the old one keeps signing (as a second signature) until <paramref name="oldUntil"/>.</summary>
    public Task<WebhookEndpoint?> RotateSecretAsync(string id, string accountId, string secret, DateTimeOffset oldUntil, CancellationToken ct) => db.WriteAsync(connection =>
    {
        Db.Command(connection, """
            UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = @until, secret = @secret
             WHERE id = @id AND account_id = @account AND deleted_at IS NULL;
            """, ("@id", id), ("@account", accountId), ("@secret", secret), ("@until", Db.Ms(oldUntil))).Run();
        return Db.Command(connection, $"SELECT {EndpointColumns} FROM webhook_endpoints WHERE id = @id AND account_id = @account AND deleted_at IS NULL;",
            ("@id", id), ("@account", accountId)).One(MapEndpoint);
    }, ct);

    /// <summary>A receiver answered 410 Gone: nothing more is sent to the endpoint until it is added again.</summary>
    public Task DisableEndpointAsync(string id, string reason, DateTimeOffset now, CancellationToken ct) => db.WriteAsync(connection =>
        Db.Command(connection, "UPDATE webhook_endpoints SET disabled_at = @now, disabled_reason = @reason WHERE id = @id AND disabled_at IS NULL;",
            ("@id", id), ("@reason", reason), ("@now", Db.Ms(now))).Run(), ct);

    // ---- the callback secret ----

    /// <summary>The account's callback secret, made (from <paramref name="fresh"/>) on first use.</summary>
    public Task<string> CallbackSecretAsync(string accountId, string fresh, DateTimeOffset now, CancellationToken ct) => db.WriteAsync(connection =>
    {
        Db.Command(connection, """
            INSERT INTO webhook_callback_secrets (account_id, secret, created_at) VALUES (@account, @secret, @now)
            ON CONFLICT (account_id) DO NOTHING;
            """, ("@account", accountId), ("@secret", fresh), ("@now", Db.Ms(now))).Run();
        return Db.Command(connection, "SELECT secret FROM webhook_callback_secrets WHERE account_id = @account;", ("@account", accountId))
            .All(r => r.GetString(0))[0];
    }, ct);

    public Task RotateCallbackSecretAsync(string accountId, string secret, DateTimeOffset now, CancellationToken ct) => db.WriteAsync(connection =>
        Db.Command(connection, """
            INSERT INTO webhook_callback_secrets (account_id, secret, created_at) VALUES (@account, @secret, @now)
            ON CONFLICT (account_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at;
            """, ("@account", accountId), ("@secret", secret), ("@now", Db.Ms(now))).Run(), ct);

    // ---- the outbox ----

    /// <summary>
    /// Inside the write that ended <paramref name="taskId"/> (its transaction): one pending delivery of the event per
    /// live endpoint of the task's account that subscribed to <paramref name="eventType"/>, and one for the task's
    /// callback_url. Returns how many rows it wrote.
    /// </summary>
    public static async ValueTask<int> EnqueueAsync(DbConnection connection, string taskId, string eventType, DateTimeOffset now, CancellationToken ct)
    {
        var task = await Db.Command(connection, "SELECT account_id, callback_url FROM tasks WHERE id = @id;", ("@id", taskId))
            .OneAsync(r => new TaskTarget(r.GetString(0), r.TextOrNull(1)), ct);
        if (task is null)
        {
            return 0;
        }

        var destinations = (await Db.Command(connection,
                "SELECT id, url, events FROM webhook_endpoints WHERE account_id = @account AND deleted_at IS NULL AND disabled_at IS NULL ORDER BY id;",
                ("@account", task.AccountId))
            .AllAsync(r => (EndpointId: (string?)r.GetString(0), Url: r.GetString(1), Events: r.GetString(2)), ct))
            .Where(e => e.Events.Split(',').Contains(eventType, StringComparer.Ordinal))
            .Select(e => (e.EndpointId, e.Url))
            .ToList();
        if (task.CallbackUrl is { } callback && eventType != WebhookEvents.Progress)
        {
            destinations.Add((null, callback));

            // Signed with the account's callback secret, made now if the account never asked for it (it can read it later).
            await Db.Command(connection, """
                INSERT INTO webhook_callback_secrets (account_id, secret, created_at) VALUES (@account, @secret, @now)
                ON CONFLICT (account_id) DO NOTHING;
                """, ("@account", task.AccountId), ("@secret", WebhookSignature.NewSecret()), ("@now", Db.Ms(now))).RunAsync(ct);
        }

        // One event id for every destination: it is the webhook-id receivers dedupe on.
        var eventId = Ids.New("evt_");
        foreach (var (endpointId, url) in destinations)
        {
            await Db.Command(connection, """
                INSERT INTO webhook_deliveries (id, event_id, event_type, task_id, account_id, endpoint_id, url, status, attempts, next_attempt_at, created_at)
                VALUES (@id, @event, @type, @task, @account, @endpoint, @url, 'pending', 0, @now, @now);
                """,
                ("@id", Ids.New("whd_")), ("@event", eventId), ("@type", eventType), ("@task", taskId), ("@account", task.AccountId),
                ("@endpoint", endpointId), ("@url", url), ("@now", Db.Ms(now))).RunAsync(ct);
        }

        return destinations.Count;
    }

    /// <summary>
    /// Which of <paramref name="taskIds"/> have a destination <see cref="EnqueueAsync"/> could write (a callback URL, or
    /// a live endpoint of the task's account), in one read. A parameter per id keeps it one plain statement on both engines.
    /// </summary>
    public static async ValueTask<HashSet<string>> AddressedAsync(DbConnection connection, IReadOnlyList<string> taskIds, CancellationToken ct)
    {
        var names = taskIds.Select((_, i) => "@t" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var sql = $"""
            SELECT t.id FROM tasks t
             WHERE t.id IN ({string.Join(", ", names)})
               AND (t.callback_url IS NOT NULL
                    OR EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.account_id = t.account_id AND e.deleted_at IS NULL AND e.disabled_at IS NULL));
            """;
        var found = await Db.Command(connection, sql, [.. names.Select((n, i) => (n, (object?)taskIds[i]))]).AllAsync(r => r.GetString(0), ct);
        return found.ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// Leases up to <paramref name="limit"/> due deliveries to <paramref name="owner"/> until <paramref name="leaseUntil"/>.
    /// On PostgreSQL the rows are taken with <c>FOR UPDATE SKIP LOCKED</c>, so nodes never wait for, nor take, each other's.
    /// </summary>
    public Task<List<ClaimedDelivery>> ClaimAsync(string owner, DateTimeOffset now, DateTimeOffset leaseUntil, int limit, CancellationToken ct) => db.WriteAsync(connection =>
    {
        var claimed = Db.Command(connection, $"""
            UPDATE webhook_deliveries SET lease_owner = @owner, lease_until = @lease
             WHERE id IN (SELECT id FROM webhook_deliveries
                           WHERE status = 'pending' AND next_attempt_at <= @now AND (lease_until IS NULL OR lease_until < @now)
                           ORDER BY next_attempt_at, id LIMIT @limit{(db.IsPostgres ? " FOR UPDATE SKIP LOCKED" : "")});
            """, ("@owner", owner), ("@lease", Db.Ms(leaseUntil)), ("@now", Db.Ms(now)), ("@limit", (long)limit)).Run();
        if (claimed == 0)
        {
            return [];
        }

        return Db.Command(connection, $"""
            SELECT {DeliveryColumns}, e.secret, e.previous_secret, e.previous_secret_until, e.disabled_at, e.deleted_at, c.secret
              FROM webhook_deliveries d
              LEFT JOIN webhook_endpoints e ON e.id = d.endpoint_id
              LEFT JOIN webhook_callback_secrets c ON c.account_id = d.account_id
             WHERE d.lease_owner = @owner AND d.lease_until = @lease AND d.status = 'pending'
             ORDER BY d.next_attempt_at, d.id;
            """, ("@owner", owner), ("@lease", Db.Ms(leaseUntil))).All(r =>
        {
            var delivery = MapDelivery(r);
            var secrets = new List<string>();
            string? stopped = null;
            if (delivery.EndpointId is null)
            {
                if (r.TextOrNull(20) is { } callbackSecret)
                {
                    secrets.Add(callbackSecret);
                }
                else
                {
                    stopped = "the account has no callback secret";
                }
            }
            else if (!r.IsDBNull(19))
            {
                stopped = "the endpoint was deleted";
            }
            else if (!r.IsDBNull(18))
            {
                stopped = "the endpoint is disabled";
            }
            else
            {
                secrets.Add(r.GetString(15));
                if (r.TextOrNull(16) is { } previous && r.LongOrNull(17) is { } until && until > Db.Ms(now))
                {
                    secrets.Add(previous);
                }
            }

            return new ClaimedDelivery(delivery, secrets, stopped);
        });
    }, ct);

    /// <summary>The body sent by every attempt: written by the first one, read back by the later ones (whoever wrote it).</summary>
    public Task<string?> FreezeBodyAsync(string id, string owner, string body, CancellationToken ct) => db.WriteAsync(connection =>
    {
        Db.Command(connection, "UPDATE webhook_deliveries SET body = @body WHERE id = @id AND lease_owner = @owner AND body IS NULL;",
            ("@id", id), ("@owner", owner), ("@body", body)).Run();
        return Db.Command(connection, "SELECT body FROM webhook_deliveries WHERE id = @id AND lease_owner = @owner;", ("@id", id), ("@owner", owner))
            .All(r => r.TextOrNull(0)).FirstOrDefault();
    }, ct);

    /// <summary>
    /// Records an attempt and moves the delivery on (<paramref name="status"/>, due again at <paramref name="next"/> when
    /// pending), if this node still holds its lease; false otherwise (and nothing is written).
    /// </summary>
    public Task<bool> RecordAttemptAsync(
        string id, string owner, WebhookAttempt attempt, string status, DateTimeOffset next, CancellationToken ct) => db.WriteAsync(connection =>
    {
        var attempts = Db.Command(connection, """
            UPDATE webhook_deliveries
               SET attempts = attempts + 1, status = @status, next_attempt_at = @next, last_status_code = @code, last_error = @error,
                   finished_at = @finished, lease_owner = NULL, lease_until = NULL
             WHERE id = @id AND lease_owner = @owner
            RETURNING attempts;
            """,
            ("@id", id), ("@owner", owner), ("@status", status), ("@next", Db.Ms(next)), ("@code", (long?)attempt.StatusCode),
            ("@error", attempt.Error), ("@finished", status == DeliveryStatus.Pending ? null : Db.Ms(attempt.At))).All(r => r.GetInt64(0));
        if (attempts.Count == 0)
        {
            return false;
        }

        Db.Command(connection, """
            INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at, status_code, latency_ms, error)
            VALUES (@id, @attempt, @at, @code, @latency, @error);
            """,
            ("@id", id), ("@attempt", attempts[0]), ("@at", Db.Ms(attempt.At)), ("@code", (long?)attempt.StatusCode),
            ("@latency", attempt.LatencyMs), ("@error", attempt.Error)).Run();
        return true;
    }, ct);

    /// <summary>Gives a leased delivery back unsent, due at <paramref name="next"/> (an open circuit): no attempt is counted.</summary>
    public Task PostponeAsync(string id, string owner, DateTimeOffset next, CancellationToken ct) => db.WriteAsync(connection =>
        Db.Command(connection, "UPDATE webhook_deliveries SET next_attempt_at = @next, lease_owner = NULL, lease_until = NULL WHERE id = @id AND lease_owner = @owner;",
            ("@id", id), ("@owner", owner), ("@next", Db.Ms(next))).Run(), ct);

    /// <summary>Ends a leased delivery unsent (its endpoint is gone, or the SSRF guard refused its address).</summary>
    public Task StopAsync(string id, string owner, string reason, DateTimeOffset now, CancellationToken ct) => db.WriteAsync(connection =>
        Db.Command(connection, """
            UPDATE webhook_deliveries SET status = 'failed', last_error = @reason, finished_at = @now, lease_owner = NULL, lease_until = NULL
             WHERE id = @id AND lease_owner = @owner;
            """, ("@id", id), ("@owner", owner), ("@reason", reason), ("@now", Db.Ms(now))).Run(), ct);

    /// <summary>An admin's replay: the delivery is due now again, with the same event id and body; false if there is none.</summary>
    public Task<bool> ReplayAsync(string id, DateTimeOffset now, CancellationToken ct) => db.WriteAsync(connection =>
        Db.Command(connection, """
            UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = @now, finished_at = NULL, lease_owner = NULL, lease_until = NULL
             WHERE id = @id;
            """, ("@id", id), ("@now", Db.Ms(now))).Run() > 0, ct);

    // ---- the log ----

    /// <summary>Newest first; <see cref="DeliveryQuery.After"/> is the last id of the previous page. One more than the limit tells "has more".</summary>
    public Task<List<(WebhookDelivery Delivery, List<WebhookAttempt> Attempts)>> DeliveriesAsync(DeliveryQuery query, CancellationToken ct) => db.ReadAsync(connection =>
    {
        var where = new List<string>();
        var parameters = new List<(string, object?)> { ("@limit", (long)query.Limit + 1) };
        void Filter(string column, string name, string? value)
        {
            if (value is not null)
            {
                where.Add($"{column} {(name == "@after" ? "<" : "=")} {name}");
                parameters.Add((name, value));
            }
        }

        Filter("d.account_id", "@account", query.AccountId);
        Filter("d.endpoint_id", "@endpoint", query.EndpointId);
        Filter("d.task_id", "@task", query.TaskId);
        Filter("d.status", "@status", query.Status);
        Filter("d.id", "@after", query.After);
        var sql = $"SELECT {DeliveryColumns} FROM webhook_deliveries d {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")} ORDER BY d.id DESC LIMIT @limit;";
        var deliveries = Db.Command(connection, sql, [.. parameters]).All(MapDelivery);
        return deliveries.Select(d => (d, AttemptsOf(connection, d.Id))).ToList();
    }, ct);

    public Task<(WebhookDelivery Delivery, List<WebhookAttempt> Attempts)?> DeliveryAsync(string id, CancellationToken ct) => db.ReadAsync(connection =>
        Db.Command(connection, $"SELECT {DeliveryColumns} FROM webhook_deliveries d WHERE d.id = @id;", ("@id", id)).One(MapDelivery) is { } delivery
            ? ((WebhookDelivery, List<WebhookAttempt>)?)(delivery, AttemptsOf(connection, id))
            : null, ct);

    private static List<WebhookAttempt> AttemptsOf(DbConnection connection, string deliveryId) => Db.Command(connection, """
        SELECT delivery_id, attempt, attempted_at, status_code, latency_ms, error FROM webhook_attempts WHERE delivery_id = @id ORDER BY attempt;
        """, ("@id", deliveryId)).All(r => new WebhookAttempt(
            r.GetString(0), (int)r.GetInt64(1), r.Time(2), (int?)r.LongOrNull(3), r.GetInt64(4), r.TextOrNull(5)));

    private static WebhookEndpoint MapEndpoint(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3).Split(',', StringSplitOptions.RemoveEmptyEntries), r.GetString(4),
        r.Time(5), r.LongOrNull(6) is { } disabled ? DateTimeOffset.FromUnixTimeMilliseconds(disabled) : null, r.TextOrNull(7));

    private static WebhookDelivery MapDelivery(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.TextOrNull(5), r.GetString(6), r.GetString(7),
        (int)r.GetInt64(8), r.Time(9), r.TextOrNull(10), (int?)r.LongOrNull(11), r.TextOrNull(12), r.Time(13), r.TimeOrNull(14));

    private sealed record TaskTarget(string AccountId, string? CallbackUrl);
}
