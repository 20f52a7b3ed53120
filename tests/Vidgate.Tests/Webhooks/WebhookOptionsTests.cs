using Microsoft.Extensions.Configuration;
using Vidgate.Server.Webhooks;

namespace Vidgate.Tests.Webhooks;

/// <summary>The retry schedule an operator configures is the one in force (not appended to the default).</summary>
public sealed class WebhookOptionsTests
{
    [Fact]
    public void A_configured_retry_schedule_replaces_the_default_and_none_keeps_the_documented_one()
    {
        var configured = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Vidgate:Webhooks:RetrySchedule:0"] = "00:00:01",
            ["Vidgate:Webhooks:RetrySchedule:1"] = "00:01:00",
        }).Build().GetSection(WebhookOptions.Section).Get<WebhookOptions>()!;
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1)], configured.Schedule);
        Assert.True(configured.IsValid());

        var defaults = new WebhookOptions();
        Assert.Equal(7, defaults.Schedule.Length);
        Assert.InRange(defaults.Schedule.Aggregate(TimeSpan.Zero, (a, b) => a + b), TimeSpan.FromHours(24), TimeSpan.FromHours(30));
        Assert.False(new WebhookOptions { Jitter = 1 }.IsValid());
        Assert.False(new WebhookOptions { Lease = TimeSpan.FromSeconds(5) }.IsValid());
    }
}
