using Microsoft.Extensions.Time.Testing;
using Vidgate.Fakes;
using Vidgate.Server.Providers;

namespace Vidgate.Tests.Providers;

/// <summary>The xai provider reads time only through the app's <see cref="TimeProvider"/> (it used to read the system clock).</summary>
public sealed class XaiClockTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_per_call_timeout_runs_on_the_app_clock()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var fake = await FakeXaiUpstream.StartAsync(new FakeXaiOptions { ApiKey = "xai-clock-key-12345678" }, ct: Ct);
        fake.FailNextSubmits(FakeFault.Timeout);
        using var kit = new XaiKit(clock);
        var provider = kit.Create(UpstreamJobs.Settings("xai", fake.BaseUrl, fake.Options.ApiKey, timeout: TimeSpan.FromSeconds(30)));

        var submit = provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(), fake.Options.ApiKey), Ct);
        while (fake.Submits == 0)
        {
            await Task.Delay(20, Ct);
        }

        Assert.False(submit.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(30));

        Assert.Contains("timed out after 30 s", Assert.IsType<UpstreamSubmit.Unavailable>(await submit).Reason, StringComparison.Ordinal);
    }

    private sealed class XaiKit(TimeProvider clock) : UpstreamTypeKit("xai", clock)
    {
        public new IVideoProvider Create(UpstreamSettings settings) => base.Create(settings);
    }
}
