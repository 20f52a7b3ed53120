using System.Globalization;
using Microsoft.Extensions.Options;
using Vidgate.Server.Accounts;
using Vidgate.Server.Billing;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Webhooks;

/// <summary>
/// Webhook endpoints of one account: a user manages their own under <c>/v1/webhooks</c> (another account's are a 404),
/// an admin any account's under <c>/admin/accounts/{id}/webhooks</c>; the same handlers serve both. The secret is shown
/// once, in the answer of create and of rotate-secret.
/// </summary>
internal static class WebhookEndpoints
{
    public static RouteGroupBuilder MapWebhooks(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/webhooks").RequireCaller();
        group.MapPost("", (HttpContext http, WebhookService service, CancellationToken ct) => service.AddAsync(http.Caller().AccountId, http.Request, ct))
            .WithVidgateDocs("Webhooks", "Add a webhook endpoint (its secret is shown once)", DocAuth.Key, 400, 409).Takes(RouteDocs.Json, null, typeof(CreateWebhookRequest)).Produces<WebhookEndpointInfo>();
        group.MapGet("", (HttpContext http, WebhookService service, CancellationToken ct) => service.ListAsync(http.Caller().AccountId, ct))
            .WithVidgateDocs("Webhooks", "List the webhook endpoints", DocAuth.Key).Produces<WebhookEndpointList>();
        group.MapGet("/callback-secret", (HttpContext http, WebhookService service, CancellationToken ct) => service.CallbackSecretAsync(http.Caller().AccountId, false, ct))
            .WithVidgateDocs("Webhooks", "The secret that signs callback_url deliveries", DocAuth.Key).Produces<CallbackSecretInfo>();
        group.MapPost("/callback-secret/rotate", (HttpContext http, WebhookService service, CancellationToken ct) => service.CallbackSecretAsync(http.Caller().AccountId, true, ct))
            .WithVidgateDocs("Webhooks", "Rotate the callback secret", DocAuth.Key).Produces<CallbackSecretInfo>();
        group.MapGet("/{wid}", (string wid, HttpContext http, WebhookService service, CancellationToken ct) => service.GetAsync(http.Caller().AccountId, wid, ct))
            .WithVidgateDocs("Webhooks", "Get a webhook endpoint", DocAuth.Key, 404).Produces<WebhookEndpointInfo>();
        group.MapDelete("/{wid}", (string wid, HttpContext http, WebhookService service, CancellationToken ct) => service.DeleteAsync(http.Caller().AccountId, wid, ct))
            .WithVidgateDocs("Webhooks", "Delete a webhook endpoint (its delivery log stays)", DocAuth.Key, 404).Produces<WebhookEndpointDeleted>();
        group.MapPost("/{wid}/rotate-secret", (string wid, HttpContext http, WebhookService service, CancellationToken ct) => service.RotateAsync(http.Caller().AccountId, wid, ct))
            .WithVidgateDocs("Webhooks", "Rotate an endpoint secret (the old one also signs for 24 h)", DocAuth.Key, 404).Produces<WebhookEndpointInfo>();
        return group;
    }

    /// <summary>Every admin webhook route: an account's endpoints, the delivery log, and replay.</summary>
    public static IEndpointRouteBuilder MapAdminWebhooks(this IEndpointRouteBuilder routes)
    {
        var accounts = routes.MapGroup("/admin/accounts/{id}/webhooks").RequireCaller(admin: true)
            .AddEndpointFilter(async (context, next) =>
            {
                var id = (string)context.HttpContext.Request.RouteValues["id"]!;
                var billing = context.HttpContext.RequestServices.GetRequiredService<IBillingStore>();
                return await billing.GetAccountAsync(id, context.HttpContext.RequestAborted) is null
                    ? ApiError.NotFound($"No account with id '{id}'.", "account_not_found").ToResult()
                    : await next(context);
            });
        accounts.MapPost("", (string id, HttpRequest request, WebhookService service, CancellationToken ct) => service.AddAsync(id, request, ct))
            .WithVidgateDocs("Admin: webhooks", "Add a webhook endpoint (its secret is shown once)", DocAuth.AdminKey, 400, 409).Takes(RouteDocs.Json, null, typeof(CreateWebhookRequest)).Produces<WebhookEndpointInfo>();
        accounts.MapGet("", (string id, WebhookService service, CancellationToken ct) => service.ListAsync(id, ct))
            .WithVidgateDocs("Admin: webhooks", "List the webhook endpoints", DocAuth.AdminKey).Produces<WebhookEndpointList>();
        accounts.MapGet("/callback-secret", (string id, WebhookService service, CancellationToken ct) => service.CallbackSecretAsync(id, false, ct))
            .WithVidgateDocs("Admin: webhooks", "The secret that signs callback_url deliveries", DocAuth.AdminKey).Produces<CallbackSecretInfo>();
        accounts.MapPost("/callback-secret/rotate", (string id, WebhookService service, CancellationToken ct) => service.CallbackSecretAsync(id, true, ct))
            .WithVidgateDocs("Admin: webhooks", "Rotate the callback secret", DocAuth.AdminKey).Produces<CallbackSecretInfo>();
        accounts.MapGet("/{wid}", (string id, string wid, WebhookService service, CancellationToken ct) => service.GetAsync(id, wid, ct))
            .WithVidgateDocs("Admin: webhooks", "Get a webhook endpoint", DocAuth.AdminKey, 404).Produces<WebhookEndpointInfo>();
        accounts.MapDelete("/{wid}", (string id, string wid, WebhookService service, CancellationToken ct) => service.DeleteAsync(id, wid, ct))
            .WithVidgateDocs("Admin: webhooks", "Delete a webhook endpoint (its delivery log stays)", DocAuth.AdminKey, 404).Produces<WebhookEndpointDeleted>();
        accounts.MapPost("/{wid}/rotate-secret", (string id, string wid, WebhookService service, CancellationToken ct) => service.RotateAsync(id, wid, ct))
            .WithVidgateDocs("Admin: webhooks", "Rotate an endpoint secret (the old one also signs for 24 h)", DocAuth.AdminKey, 404).Produces<WebhookEndpointInfo>();
        accounts.MapGet("/{wid}/deliveries", (string id, string wid, HttpRequest request, WebhookService service, CancellationToken ct)
            => service.DeliveriesAsync(request, id, wid, ct))
            .WithVidgateDocs("Admin: webhooks", "The delivery log of one endpoint", DocAuth.AdminKey, 400, 404).Produces<WebhookDeliveryList>();

        var deliveries = routes.MapGroup("/admin/webhook-deliveries").RequireCaller(admin: true);
        deliveries.MapGet("", (HttpRequest request, WebhookService service, CancellationToken ct) => service.DeliveriesAsync(request, null, null, ct))
            .WithVidgateDocs("Admin: webhooks", "The webhook delivery log (filters: account_id, endpoint_id, video_id, status, after, limit)", DocAuth.AdminKey, 400).Produces<WebhookDeliveryList>();
        deliveries.MapGet("/{did}", (string did, WebhookService service, CancellationToken ct) => service.DeliveryAsync(did, ct))
            .WithVidgateDocs("Admin: webhooks", "One webhook delivery with its attempts", DocAuth.AdminKey, 404).Produces<WebhookDeliveryInfo>();
        deliveries.MapPost("/{did}/replay", (string did, WebhookService service, CancellationToken ct) => service.ReplayAsync(did, ct))
            .WithVidgateDocs("Admin: webhooks", "Send one delivery again (same webhook-id and body)", DocAuth.AdminKey, 404).Produces<WebhookDeliveryInfo>();
        return routes;
    }
}

/// <summary>What the webhook routes do, for a given account.</summary>
internal sealed class WebhookService(WebhookStore store, WebhookUrls urls, WebhookSignal signal, TimeProvider clock, IOptions<WebhookOptions> options)
{
    private const int DefaultPage = 20;
    private const int MaxPage = 100;

    public async Task<IResult> AddAsync(string accountId, HttpRequest request, CancellationToken ct)
    {
        var (body, error) = await JsonBody.ReadAsync(request, WebhookJson.Default.CreateWebhookRequest, ct);
        if (error is not null)
        {
            return error.ToResult();
        }

        var events = body!.Events is { } asked ? asked.Distinct(StringComparer.Ordinal).ToArray() : WebhookEvents.Default;
        if (events.Length == 0 || events.FirstOrDefault(e => !WebhookEvents.All.Contains(e, StringComparer.Ordinal)) is { } unknown && unknown is not null)
        {
            return ApiError.Invalid("events", $"'events' lists the events to receive, from: {string.Join(", ", WebhookEvents.All)}.", "invalid_event").ToResult();
        }

        var (url, urlError) = await urls.CheckAsync(body.Url, "url", ct);
        if (urlError is not null)
        {
            return urlError.ToResult();
        }

        var endpoint = new WebhookEndpoint(Ids.New("we_"), accountId, url!.AbsoluteUri, events, WebhookSignature.NewSecret(), clock.GetUtcNow(), null, null);
        return await store.AddEndpointAsync(endpoint, options.Value.MaxEndpointsPerAccount, ct) is { } added
            ? Json(Info(added, withSecret: true))
            : ApiError.Conflict("too_many_webhooks", $"An account has at most {options.Value.MaxEndpointsPerAccount} webhook endpoints; delete one first.").ToResult();
    }

    public async Task<IResult> ListAsync(string accountId, CancellationToken ct)
        => TypedResults.Json(new WebhookEndpointList("list", [.. (await store.ListEndpointsAsync(accountId, ct)).Select(e => Info(e, withSecret: false))]),
            WebhookJson.Default.WebhookEndpointList);

    public async Task<IResult> GetAsync(string accountId, string id, CancellationToken ct)
        => await store.GetEndpointAsync(id, accountId, ct) is { } endpoint ? Json(Info(endpoint, withSecret: false)) : NotFound(id).ToResult();

    public async Task<IResult> DeleteAsync(string accountId, string id, CancellationToken ct)
        => await store.DeleteEndpointAsync(id, accountId, clock.GetUtcNow(), ct)
            ? TypedResults.Json(new WebhookEndpointDeleted(id, "webhook_endpoint.deleted", true), WebhookJson.Default.WebhookEndpointDeleted)
            : NotFound(id).ToResult();

    public async Task<IResult> RotateAsync(string accountId, string id, CancellationToken ct)
        => await store.RotateSecretAsync(id, accountId, WebhookSignature.NewSecret(), clock.GetUtcNow() + options.Value.RotationOverlap, ct) is { } endpoint
            ? Json(Info(endpoint, withSecret: true))
            : NotFound(id).ToResult();

    public async Task<IResult> CallbackSecretAsync(string accountId, bool rotate, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (rotate)
        {
            await store.RotateCallbackSecretAsync(accountId, WebhookSignature.NewSecret(), now, ct);
        }

        var secret = await store.CallbackSecretAsync(accountId, WebhookSignature.NewSecret(), now, ct);
        return TypedResults.Json(new CallbackSecretInfo("webhook_callback_secret", accountId, secret), WebhookJson.Default.CallbackSecretInfo);
    }

    public async Task<IResult> DeliveriesAsync(HttpRequest request, string? accountId, string? endpointId, CancellationToken ct)
    {
        var query = request.Query;
        var size = DefaultPage;
        if (query["limit"].ToString() is { Length: > 0 } limit
            && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size is < 1 or > MaxPage))
        {
            return ApiError.Invalid("limit", $"'limit' must be a whole number from 1 to {MaxPage}.", "invalid_limit").ToResult();
        }

        var status = Optional(query["status"]);
        if (status is not null and not (DeliveryStatus.Pending or DeliveryStatus.Delivered or DeliveryStatus.Failed))
        {
            return ApiError.Invalid("status", "'status' is one of pending, delivered, failed.").ToResult();
        }

        if (endpointId is not null && accountId is not null && await store.GetEndpointAsync(endpointId, accountId, ct) is null)
        {
            return NotFound(endpointId).ToResult();
        }

        var rows = await store.DeliveriesAsync(new DeliveryQuery(
            accountId ?? Optional(query["account_id"]), endpointId ?? Optional(query["endpoint_id"]), Optional(query["video_id"]), status,
            Optional(query["after"]), size), ct);
        var page = rows.Take(size).Select(r => Info(r.Delivery, r.Attempts)).ToList();
        return TypedResults.Json(new WebhookDeliveryList("list", page, rows.Count > size, page.LastOrDefault()?.Id), WebhookJson.Default.WebhookDeliveryList);
    }

    public async Task<IResult> DeliveryAsync(string id, CancellationToken ct)
        => await store.DeliveryAsync(id, ct) is var (delivery, attempts)
            ? TypedResults.Json(Info(delivery, attempts), WebhookJson.Default.WebhookDeliveryInfo)
            : DeliveryNotFound(id).ToResult();

    public async Task<IResult> ReplayAsync(string id, CancellationToken ct)
    {
        if (!await store.ReplayAsync(id, clock.GetUtcNow(), ct))
        {
            return DeliveryNotFound(id).ToResult();
        }

        signal.Poke();
        return await DeliveryAsync(id, ct);
    }

    private static string? Optional(Microsoft.Extensions.Primitives.StringValues value) => value.ToString() is { Length: > 0 } text ? text : null;

    private static IResult Json(WebhookEndpointInfo info) => TypedResults.Json(info, WebhookJson.Default.WebhookEndpointInfo);

    private static WebhookEndpointInfo Info(WebhookEndpoint e, bool withSecret) => new(
        e.Id, "webhook_endpoint", e.AccountId, e.Url, e.Events, e.DisabledAt is null, e.CreatedAt.ToUnixTimeSeconds(),
        e.DisabledAt?.ToUnixTimeSeconds(), e.DisabledReason, withSecret ? e.Secret : null);

    private static WebhookDeliveryInfo Info(WebhookDelivery d, List<WebhookAttempt> attempts) => new(
        d.Id, "webhook_delivery", d.EventId, d.EventType, d.TaskId, d.AccountId, d.EndpointId, d.Url, d.Status, d.Attempts,
        d.Status == DeliveryStatus.Pending ? d.NextAttemptAt.ToUnixTimeSeconds() : null, d.LastStatusCode, d.LastError,
        d.CreatedAt.ToUnixTimeSeconds(), d.FinishedAt?.ToUnixTimeSeconds(),
        [.. attempts.Select(a => new WebhookAttemptInfo(a.Attempt, a.At.ToUnixTimeSeconds(), a.StatusCode, a.LatencyMs, a.Error))]);

    private static ApiError NotFound(string id) => ApiError.NotFound($"No webhook endpoint with id '{id}'.", "webhook_not_found");

    private static ApiError DeliveryNotFound(string id) => ApiError.NotFound($"No webhook delivery with id '{id}'.", "webhook_delivery_not_found");
}
