using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Vidgate.Server.Webhooks;
using Vidgate.Tests.Billing;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Webhooks;

/// <summary>What protects receivers and the server: the SSRF guard at delivery time, and the per-destination circuit breaker.</summary>
public sealed class WebhookGuardTests
{
    [Fact]
    public async Task A_delivery_to_an_address_the_guard_now_refuses_is_not_sent_and_not_retried()
    {
        using var receiver = new Receiver();
        var provider = new ScriptedProvider();
        var dataDir = Directory.CreateTempSubdirectory("vidgate-test-").FullName;
        string id;
        try
        {
            // Registered while the operator allowlisted loopback; the node that delivers no longer does.
            using (var first = new VidgateApp(dataDir: dataDir, settings: WebhookKit.Loopback(), services: services =>
                   {
                       ScriptedProvider.Replace(provider)(services);
                       services.Remove(services.Single(s => s.ServiceType == typeof(IHostedService) && s.ImplementationType == typeof(WebhookDispatcher)));
                   }))
            {
                using var client = await first.NewUserAsync();
                await WebhookKit.RegisterAsync(client, receiver.Url);
                id = (await client.CreateAsync(new { model = "grok-imagine-video", prompt = "guarded", seconds = 6 })).GetProperty("id").GetString()!;
                await client.WaitForAsync(id, "completed");
                await WebhookKit.WaitForDeliveryAsync(first, id, "pending");
            }

            using var second = new VidgateApp(dataDir: dataDir, services: ScriptedProvider.Replace(provider));
            var failed = await WebhookKit.WaitForDeliveryAsync(second, id, "failed");
            Assert.Equal(1, failed.GetProperty("attempts").GetInt32());
            var attempt = Assert.Single(failed.GetProperty("attempt_log").EnumerateArray());
            Assert.Equal(System.Text.Json.JsonValueKind.Null, attempt.GetProperty("status_code").ValueKind);
            Assert.Contains("SSRF guard", attempt.GetProperty("error").GetString());
            Assert.True(await receiver.QuietForAsync(TimeSpan.FromMilliseconds(500)), "the refused address was reached");
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    [Fact]
    public void Five_failures_in_a_row_open_a_destinations_circuit_for_the_configured_time_and_a_success_closes_it()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var breakers = new WebhookBreakers(clock, Options.Create(new WebhookOptions { BreakerFailures = 5, BreakerOpenFor = TimeSpan.FromMinutes(1) }));
        const string destination = "https://hooks.example.com";
        for (var i = 0; i < 4; i++)
        {
            breakers.Record(destination, succeeded: false);
        }

        Assert.Null(breakers.OpenUntil(destination));
        breakers.Record(destination, succeeded: false);
        Assert.Equal(clock.GetUtcNow() + TimeSpan.FromMinutes(1), breakers.OpenUntil(destination));
        Assert.Null(breakers.OpenUntil("https://other.example.com"));

        // After the open time one attempt decides: another failure opens it again at once, a success closes it.
        clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        Assert.Null(breakers.OpenUntil(destination));
        breakers.Record(destination, succeeded: false);
        Assert.NotNull(breakers.OpenUntil(destination));
        clock.Advance(TimeSpan.FromMinutes(2));
        breakers.Record(destination, succeeded: true);
        breakers.Record(destination, succeeded: false);
        Assert.Null(breakers.OpenUntil(destination));
    }
}
