using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Vidgate.Server.Webhooks;

/// <summary>
/// The delivery worker: leases due outbox rows (multi-node safe), freezes each body at its first attempt, signs and
/// POSTs it, records the attempt, and schedules the next one (<see cref="WebhookOptions.Schedule"/> with jitter)
/// until a 2xx, a 410 (the endpoint is disabled) or the schedule runs out. At most
/// <see cref="WebhookOptions.Concurrency"/> deliveries run at once on a node, and <see cref="WebhookOptions.PerDestination"/>
/// to one destination; a destination that keeps failing has its circuit opened (<see cref="WebhookBreakers"/>).
/// </summary>
internal sealed partial class WebhookDispatcher(
    WebhookStore store,
    WebhookSender sender,
    WebhookPayload payload,
    WebhookSignal signal,
    WebhookBreakers breakers,
    TimeProvider clock,
    IOptions<WebhookOptions> options,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    private readonly string _owner = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
    private readonly WebhookOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _destinations = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, bool> _inFlight = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var slots = new SemaphoreSlim(_options.Concurrency);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var claimed = await ClaimAsync(slots.CurrentCount, stoppingToken);
                foreach (var delivery in claimed)
                {
                    await slots.WaitAsync(stoppingToken);
                    var run = RunAsync(delivery, slots, stoppingToken);
                    _inFlight[run] = true;
                    _ = run.ContinueWith(t => _inFlight.TryRemove(t, out _), TaskScheduler.Default);
                }

                if (claimed.Count == 0 || slots.CurrentCount == 0)
                {
                    await signal.WaitAsync(_options.IdlePollInterval, clock, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: what is in flight finishes or is cancelled below; unsent leases lapse and are sent again.
        }

        await Task.WhenAll(_inFlight.Keys);
    }

    private async Task<List<ClaimedDelivery>> ClaimAsync(int free, CancellationToken ct)
    {
        if (free == 0)
        {
            return [];
        }

        try
        {
            var now = clock.GetUtcNow();
            return await store.ClaimAsync(_owner, now, now + _options.Lease, free, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            Log.ClaimFailed(logger, ex);
            return [];
        }
    }

    private async Task RunAsync(ClaimedDelivery claimed, SemaphoreSlim slots, CancellationToken ct)
    {
        try
        {
            await DeliverAsync(claimed, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            // The lease lapses and the delivery is tried again; nothing is lost.
            Log.DeliveryFailed(logger, claimed.Delivery.Id, ex);
        }
        catch (OperationCanceledException)
        {
            // Shutdown: the lease lapses and another node (or the next start) sends it.
        }
        finally
        {
            slots.Release();
            signal.Poke();
        }
    }

    private async Task DeliverAsync(ClaimedDelivery claimed, CancellationToken ct)
    {
        var delivery = claimed.Delivery;
        if (claimed.Stopped is { } reason)
        {
            await store.StopAsync(delivery.Id, _owner, reason, clock.GetUtcNow(), ct);
            return;
        }

        var url = new Uri(delivery.Url);
        var destination = url.GetLeftPart(UriPartial.Authority);
        if (breakers.OpenUntil(destination) is { } openUntil)
        {
            await store.PostponeAsync(delivery.Id, _owner, openUntil, ct);
            return;
        }

        var body = delivery.Body ?? await store.FreezeBodyAsync(
            delivery.Id, _owner, System.Text.Encoding.UTF8.GetString(await payload.RenderAsync(delivery, ct)), ct);
        if (body is null)
        {
            return; // The lease was lost meanwhile: the new holder sends it.
        }

        var gate = _destinations.GetOrAdd(destination, _ => new SemaphoreSlim(_options.PerDestination));
        await gate.WaitAsync(ct);
        SendResult result;
        DateTimeOffset at;
        try
        {
            at = clock.GetUtcNow();
            var bytes = System.Text.Encoding.UTF8.GetBytes(body);
            var timestamp = at.ToUnixTimeSeconds();
            var signature = WebhookSignature.Sign(claimed.Secrets, delivery.EventId, timestamp, bytes);
            result = await sender.SendAsync(url, delivery.EventId, timestamp, signature, bytes, ct);
        }
        finally
        {
            gate.Release();
        }

        breakers.Record(destination, result.Delivered || result.StatusCode == 410);
        var attempt = new WebhookAttempt(delivery.Id, delivery.Attempts + 1, at, result.StatusCode, result.LatencyMs, result.Error);
        var (status, next) = Next(delivery, result, at);
        if (!await store.RecordAttemptAsync(delivery.Id, _owner, attempt, status, next, ct))
        {
            return;
        }

        if (result.StatusCode == 410 && delivery.EndpointId is { } endpointId)
        {
            await store.DisableEndpointAsync(endpointId, "The receiver answered 410 Gone.", at, ct);
            Log.Disabled(logger, endpointId, delivery.Url);
        }
    }

    /// <summary>Where a delivery goes after an attempt: done, given up, or due again after the schedule's next wait ± jitter.</summary>
    private (string Status, DateTimeOffset Next) Next(WebhookDelivery delivery, SendResult result, DateTimeOffset at)
    {
        if (result.Delivered)
        {
            return (DeliveryStatus.Delivered, at);
        }

        // 410: the receiver says the endpoint is gone for good; a refused address is not retried into a private network.
        var retry = delivery.Attempts; // attempts before this one = index of the wait that follows it
        if (result.StatusCode == 410 || result.Refused || retry >= _options.Schedule.Length)
        {
            return (DeliveryStatus.Failed, at);
        }

        var wait = _options.Schedule[retry];
        var jitter = 1 + (((Random.Shared.NextDouble() * 2) - 1) * _options.Jitter);
        return (DeliveryStatus.Pending, at + (wait * jitter));
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Could not look for due webhook deliveries")]
        public static partial void ClaimFailed(ILogger logger, Exception exception);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook delivery {DeliveryId} could not be processed; it is retried when its lease lapses")]
        public static partial void DeliveryFailed(ILogger logger, string deliveryId, Exception exception);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook endpoint {EndpointId} ({Url}) answered 410 Gone and was disabled")]
        public static partial void Disabled(ILogger logger, string endpointId, string url);
    }
}

/// <summary>
/// One circuit per destination (scheme, host, port) on this node: <see cref="WebhookOptions.BreakerFailures"/> failed
/// attempts in a row open it for <see cref="WebhookOptions.BreakerOpenFor"/>, during which that destination's deliveries
/// wait without spending attempts; then the next attempt decides (success closes it, failure opens it again).
/// </summary>
internal sealed class WebhookBreakers(TimeProvider clock, IOptions<WebhookOptions> options)
{
    private readonly ConcurrentDictionary<string, (int Failures, DateTimeOffset? OpenUntil)> _states = new(StringComparer.Ordinal);

    public DateTimeOffset? OpenUntil(string destination)
        => _states.TryGetValue(destination, out var state) && state.OpenUntil is { } until && until > clock.GetUtcNow() ? until : null;

    public void Record(string destination, bool succeeded)
    {
        if (succeeded)
        {
            _states.TryRemove(destination, out _);
            return;
        }

        _states.AddOrUpdate(destination, (1, Open(1)), (_, state) => (state.Failures + 1, Open(state.Failures + 1)));
    }

    private DateTimeOffset? Open(int failures) => failures >= options.Value.BreakerFailures ? clock.GetUtcNow() + options.Value.BreakerOpenFor : null;
}
