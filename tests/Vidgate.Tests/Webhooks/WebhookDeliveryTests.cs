using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using StandardWebhooks;
using Vidgate.Server.Webhooks;
using Vidgate.Tests.Billing;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Webhooks;

/// <summary>
/// Events reach a real receiver on loopback, signed so the official <c>StandardWebhooks</c> library accepts them, and
/// the delivery machinery (retries with the same id and bytes, 410, replay, the outbox surviving a restart) holds.
/// </summary>
public sealed class WebhookDeliveryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_builtin_render_that_completes_or_is_cancelled_sends_a_signed_event_the_official_library_verifies()
    {
        using var receiver = new Receiver();
        using var app = new VidgateApp(settings: WebhookKit.Loopback());
        using var client = await app.NewUserAsync();
        var (_, secret) = await WebhookKit.RegisterAsync(client, receiver.Url);

        var created = await client.CreateAsync(new { model = "grok-imagine-video", prompt = "a quiet harbour at dawn", seconds = 1, resolution = "480P" });
        var id = created.GetProperty("id").GetString()!;
        var done = await client.WaitForAsync(id, "completed");

        var completed = await receiver.NextAsync();
        new StandardWebhook(secret).Verify(completed.Text, completed.Headers);
        Assert.Equal("POST", completed.Method);
        Assert.Equal("/hooks/vidgate", completed.Path);
        Assert.Equal("application/json", completed.Headers.ContentType.ToString());
        var body = completed.Json;
        Assert.StartsWith("evt_", body.GetProperty("id").GetString());
        Assert.Equal(completed.Id, body.GetProperty("id").GetString());
        Assert.Equal("video.completed", body.GetProperty("type").GetString());
        Assert.InRange(body.GetProperty("created_at").GetInt64(), DateTimeOffset.UtcNow.AddMinutes(-2).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds());

        // data is the video exactly as a retrieve renders it, in the dialect it was created in.
        Assert.Equal(done.ToString(), body.GetProperty("data").ToString());

        // A tampered body or another secret is refused by the same library.
        Assert.ThrowsAny<Exception>(() => new StandardWebhook(secret).Verify(completed.Text.Replace("completed", "failed", StringComparison.Ordinal), completed.Headers));
        Assert.ThrowsAny<Exception>(() => new StandardWebhook(WebhookSignature.NewSecret()).Verify(completed.Text, completed.Headers));

        var longOne = await client.CreateAsync(new { model = "grok-imagine-video", prompt = "a long slow push in", seconds = 15, resolution = "720P" });
        var longId = longOne.GetProperty("id").GetString()!;
        await Api.OkJsonAsync(await client.PostAsync($"/v1/videos/{longId}/cancel", null, Ct));
        var cancelled = await receiver.NextAsync();
        new StandardWebhook(secret).Verify(cancelled.Text, cancelled.Headers);
        Assert.Equal("video.cancelled", cancelled.Json.GetProperty("type").GetString());
        Assert.Equal(longId, cancelled.Json.GetProperty("data").GetProperty("id").GetString());
        Assert.NotEqual(completed.Id, cancelled.Id);
        Assert.True(await receiver.QuietForAsync(TimeSpan.FromMilliseconds(500)), "one event per ending, nothing more");
    }

    [Fact]
    public async Task A_failed_render_sends_video_failed_in_the_dialect_of_the_create_and_the_filter_skips_unsubscribed_events()
    {
        using var receiver = new Receiver();
        using var onlyCompleted = new Receiver();
        var provider = new ScriptedProvider();
        using var app = new VidgateApp(settings: WebhookKit.Loopback(), services: ScriptedProvider.Replace(provider));
        using var client = await app.NewUserAsync();
        var (_, secret) = await WebhookKit.RegisterAsync(client, receiver.Url, ["video.failed", "video.completed"]);
        await WebhookKit.RegisterAsync(client, onlyCompleted.Url, ["video.completed"]);

        // OpenAI dialect (JSON with size): the event's data is an OpenAI Video object.
        var created = await Api.OkJsonAsync(await client.PostJsonAsync("/v1/videos", """{"model":"sora-2","prompt":"this will fail","size":"1280x720","seconds":"4"}"""));
        var id = created.GetProperty("id").GetString()!;
        var failed = await client.WaitForAsync(id, "failed");

        var delivery = await receiver.NextAsync();
        new StandardWebhook(secret).Verify(delivery.Text, delivery.Headers);
        Assert.Equal("video.failed", delivery.Json.GetProperty("type").GetString());
        Assert.Equal("video", delivery.Json.GetProperty("data").GetProperty("object").GetString());
        Assert.Equal(failed.ToString(), delivery.Json.GetProperty("data").ToString());
        Assert.True(await onlyCompleted.QuietForAsync(TimeSpan.FromSeconds(1)), "an endpoint that did not subscribe to video.failed got it");
    }

    [Fact]
    public async Task A_500_is_retried_on_the_documented_backoff_with_the_same_id_and_bytes_until_a_2xx_and_every_attempt_is_logged()
    {
        using var receiver = new Receiver(500, 503);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var provider = new ScriptedProvider();
        using var app = new VidgateApp(clock: clock, settings: WebhookKit.Loopback(), services: ScriptedProvider.Replace(provider));
        using var client = await app.NewUserAsync();
        var (endpointId, secret) = await WebhookKit.RegisterAsync(client, receiver.Url);
        var id = (await client.CreateAsync(new { model = "grok-imagine-video", prompt = "retry me", seconds = 6 })).GetProperty("id").GetString()!;
        await client.WaitForAsync(id, "completed");

        var first = await receiver.NextAsync();
        var signal = app.Service<WebhookSignal>();
        await clock.RunUntilAsync(() => Task.FromResult(receiver.All.Count >= 3), signal.Poke, TimeSpan.FromHours(1), "three attempts", TimeSpan.FromSeconds(1));
        var (second, third) = (await receiver.NextAsync(), await receiver.NextAsync());

        // Receivers dedupe on webhook-id: it and the bytes never change; only the timestamp and its signature do.
        Assert.All(new[] { second, third }, d => Assert.Equal(first.Id, d.Id));
        Assert.All(new[] { second, third }, d => Assert.Equal(first.Body, d.Body));
        var signer = new StandardWebhook(secret);
        foreach (var d in new[] { first, second, third })
        {
            var timestamp = long.Parse(d.Headers["webhook-timestamp"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(signer.Sign(d.Id, DateTimeOffset.FromUnixTimeSeconds(timestamp), d.Text), d.Headers["webhook-signature"].ToString());
        }

        var log = await WebhookKit.WaitForDeliveryAsync(app, id, "delivered");
        Assert.Equal(endpointId, log.GetProperty("endpoint_id").GetString());
        Assert.Equal(3, log.GetProperty("attempts").GetInt32());
        var attempts = log.GetProperty("attempt_log").EnumerateArray().ToList();
        Assert.Equal([500, 503, 200], attempts.Select(a => a.GetProperty("status_code").GetInt32()));
        Assert.Equal("HTTP 500", attempts[0].GetProperty("error").GetString());
        Assert.Equal(JsonValueKind.Null, attempts[2].GetProperty("error").ValueKind);

        // Waits of the schedule: 5 s then 5 min, each ±20 % jitter (attempt times are whole seconds).
        var at = attempts.Select(a => a.GetProperty("at").GetInt64()).ToList();
        Assert.InRange(at[1] - at[0], 3, 7);
        Assert.InRange(at[2] - at[1], 239, 361);
    }

    [Fact]
    public async Task A_410_disables_the_endpoint_and_later_events_are_not_sent_to_it()
    {
        using var receiver = new Receiver(410);
        var provider = new ScriptedProvider();
        using var app = new VidgateApp(settings: WebhookKit.Loopback(), services: ScriptedProvider.Replace(provider));
        using var client = await app.NewUserAsync();
        var (endpointId, _) = await WebhookKit.RegisterAsync(client, receiver.Url);
        var first = (await client.CreateAsync(new { model = "grok-imagine-video", prompt = "gone", seconds = 6 })).GetProperty("id").GetString()!;
        await client.WaitForAsync(first, "completed");
        await receiver.NextAsync();

        var failed = await WebhookKit.WaitForDeliveryAsync(app, first, "failed");
        Assert.Equal(1, failed.GetProperty("attempts").GetInt32());
        Assert.Equal(410, failed.GetProperty("last_status_code").GetInt32());
        var endpoint = await WebhookKit.EndpointAsync(client, endpointId);
        Assert.False(endpoint.GetProperty("enabled").GetBoolean());
        Assert.Contains("410", endpoint.GetProperty("disabled_reason").GetString());
        Assert.False(endpoint.TryGetProperty("secret", out _), "the secret is shown only by create and rotate");

        var second = (await client.CreateAsync(new { model = "grok-imagine-video", prompt = "after", seconds = 6 })).GetProperty("id").GetString()!;
        await client.WaitForAsync(second, "completed");
        Assert.True(await receiver.QuietForAsync(TimeSpan.FromSeconds(1)));
        Assert.Empty((await WebhookKit.DeliveriesAsync(app, $"video_id={second}")).GetProperty("data").EnumerateArray());
    }

    [Fact]
    public async Task An_admin_replays_a_delivery_with_the_same_id_and_body_and_the_log_shows_both_attempts()
    {
        using var receiver = new Receiver();
        var provider = new ScriptedProvider();
        using var app = new VidgateApp(settings: WebhookKit.Loopback(), services: ScriptedProvider.Replace(provider));
        using var client = await app.NewUserAsync();
        var (endpointId, secret) = await WebhookKit.RegisterAsync(client, receiver.Url);
        var id = (await client.CreateAsync(new { model = "grok-imagine-video", prompt = "replay", seconds = 6 })).GetProperty("id").GetString()!;
        await client.WaitForAsync(id, "completed");
        var original = await receiver.NextAsync();
        var delivered = await WebhookKit.WaitForDeliveryAsync(app, id, "delivered");
        var deliveryId = delivered.GetProperty("id").GetString()!;

        using var admin = app.Admin();
        var replay = await Api.OkJsonAsync(await admin.PostAsync($"/admin/webhook-deliveries/{deliveryId}/replay", null, Ct));
        Assert.Equal(deliveryId, replay.GetProperty("id").GetString());
        var again = await receiver.NextAsync();
        new StandardWebhook(secret).Verify(again.Text, again.Headers);
        Assert.Equal(original.Id, again.Id);
        Assert.Equal(original.Body, again.Body);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonElement log;
        do
        {
            log = await Api.OkJsonAsync(await admin.GetAsync($"/admin/webhook-deliveries/{deliveryId}", Ct));
            await Task.Delay(50, Ct);
        }
        while (log.GetProperty("attempts").GetInt32() < 2 && DateTime.UtcNow < deadline);
        Assert.Equal("delivered", log.GetProperty("status").GetString());
        Assert.Equal([200, 200], log.GetProperty("attempt_log").EnumerateArray().Select(a => a.GetProperty("status_code").GetInt32()));

        // Per endpoint, through the account's admin route; unknown ids are 404s in the error shape.
        var accountId = delivered.GetProperty("account_id").GetString()!;
        var perEndpoint = await Api.OkJsonAsync(await admin.GetAsync($"/admin/accounts/{accountId}/webhooks/{endpointId}/deliveries", Ct));
        Assert.Equal(deliveryId, Assert.Single(perEndpoint.GetProperty("data").EnumerateArray()).GetProperty("id").GetString());
        await Api.ErrorAsync(await admin.PostAsync("/admin/webhook-deliveries/whd_nope/replay", null, Ct), HttpStatusCode.NotFound);
        await Api.ErrorAsync(await admin.GetAsync($"/admin/accounts/{accountId}/webhooks/we_nope/deliveries", Ct), HttpStatusCode.NotFound);
        await Api.ErrorAsync(await admin.GetAsync("/admin/webhook-deliveries?limit=0", Ct), HttpStatusCode.BadRequest);
        await Api.ErrorAsync(await admin.GetAsync("/admin/webhook-deliveries?status=lost", Ct), HttpStatusCode.BadRequest);
        using var user = await app.NewUserAsync("nosy");
        await Api.ErrorAsync(await user.GetAsync("/admin/webhook-deliveries", Ct), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task An_event_committed_before_a_restart_is_delivered_after_it()
    {
        using var receiver = new Receiver();
        var provider = new ScriptedProvider();
        string id;
        var dataDir = Directory.CreateTempSubdirectory("vidgate-test-").FullName;
        using (var first = new VidgateApp(dataDir: dataDir, settings: WebhookKit.Loopback(), services: services =>
               {
                   ScriptedProvider.Replace(provider)(services);
                   // This node dies before it sends anything: no delivery worker at all.
                   services.Remove(services.Single(s => s.ServiceType == typeof(IHostedService) && s.ImplementationType == typeof(WebhookDispatcher)));
               }))
        {
            using var client = await first.NewUserAsync();
            await WebhookKit.RegisterAsync(client, receiver.Url);
            id = (await client.CreateAsync(new { model = "grok-imagine-video", prompt = "before the node dies", seconds = 6 })).GetProperty("id").GetString()!;
            await client.WaitForAsync(id, "completed");
            var pending = await WebhookKit.WaitForDeliveryAsync(first, id, "pending");
            Assert.Equal(0, pending.GetProperty("attempts").GetInt32());
            Assert.True(await receiver.QuietForAsync(TimeSpan.FromMilliseconds(300)));
        }

        try
        {
            using var second = new VidgateApp(dataDir: dataDir, settings: WebhookKit.Loopback(), services: ScriptedProvider.Replace(provider));
            _ = second.Services; // start it
            var delivery = await receiver.NextAsync();
            Assert.Equal("video.completed", delivery.Json.GetProperty("type").GetString());
            Assert.Equal(id, delivery.Json.GetProperty("data").GetProperty("id").GetString());
            await WebhookKit.WaitForDeliveryAsync(second, id, "delivered");
            Assert.True(await receiver.QuietForAsync(TimeSpan.FromMilliseconds(500)), "delivered once");
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }
}
