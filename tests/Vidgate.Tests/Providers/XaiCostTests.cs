using Vidgate.Fakes;
using Vidgate.Server.Billing;
using Vidgate.Server.Providers;

namespace Vidgate.Tests.Providers;

/// <summary>Builds <c>xai</c> providers the way the server does: through the registered type, from settings.</summary>
internal sealed class XaiTestKit() : UpstreamTypeKit("xai", null)
{
    public IVideoProvider Create(FakeXaiUpstream fake)
        => Create(UpstreamJobs.Settings("xai", fake.BaseUrl, fake.Options.ApiKey));
}

/// <summary>
/// <c>usage.cost_in_usd_ticks</c> in xAI's done answer (api-contracts.md §3.3, 1 USD = 10,000,000,000 ticks): read when it
/// is a non-negative integer, otherwise simply absent, and never a reason for the poll to be anything but done.
/// </summary>
public sealed class XaiCostTests : IAsyncLifetime
{
    private readonly XaiTestKit _kit = new();
    private FakeXaiUpstream _fake = null!;
    private IVideoProvider _provider = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _fake = await FakeXaiUpstream.StartAsync(new FakeXaiOptions { MinJob = TimeSpan.Zero, MaxJob = TimeSpan.Zero, EarlyPollWithoutStatus = false }, ct: Ct);
        _provider = _kit.Create(_fake);
    }

    public async ValueTask DisposeAsync()
    {
        await _fake.DisposeAsync();
        _kit.Dispose();
    }

    private async Task<UpstreamPoll.Done> DoneAsync(int seconds = 6)
    {
        var accepted = Assert.IsType<UpstreamSubmit.Accepted>(
            await _provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(seconds: seconds), _fake.Options.ApiKey), Ct));
        var done = Assert.IsType<UpstreamPoll.Done>(await _provider.PollAsync(UpstreamJobs.Handle(accepted.UpstreamId, _fake.Options.ApiKey), Ct));

        // Whatever the cost looked like, the rest of the answer is read as before.
        Assert.Equal(seconds, done.ActualSeconds);
        Assert.EndsWith($"/files/{accepted.UpstreamId}.mp4", done.ResultUrl);
        return done;
    }

    [Fact]
    public async Task A_reported_cost_is_read_in_exact_integer_ticks()
    {
        _fake.Options.CostTicksPerSecond = 123_456_789_012;

        var done = await DoneAsync(seconds: 7);

        Assert.Equal(7 * 123_456_789_012L, done.CostUsdTicks);
    }

    [Theory]
    [InlineData("""{"cost_in_usd_ticks":0}""", 0L)]
    [InlineData("""{"cost_in_usd_ticks":9223372036854775807}""", long.MaxValue)]
    [InlineData("""{"cost_in_usd_ticks":42,"other":"ignored"}""", 42L)]
    public async Task Edge_integers_are_kept_exactly(string usage, long expected)
    {
        _fake.Options.UsageJson = usage;

        Assert.Equal(expected, (await DoneAsync()).CostUsdTicks);
    }

    [Theory]
    [InlineData("")] // no usage at all
    [InlineData("null")]
    [InlineData("{}")]
    [InlineData("\"free\"")]
    [InlineData("[1,2]")]
    [InlineData("""{"cost_in_usd_ticks":null}""")]
    [InlineData("""{"cost_in_usd_ticks":-5}""")]
    [InlineData("""{"cost_in_usd_ticks":1.5}""")]
    [InlineData("""{"cost_in_usd_ticks":12.0}""")]
    [InlineData("""{"cost_in_usd_ticks":1e3}""")]
    [InlineData("""{"cost_in_usd_ticks":"12"}""")]
    [InlineData("""{"cost_in_usd_ticks":true}""")]
    [InlineData("""{"cost_in_usd_ticks":{"usd":1}}""")]
    [InlineData("""{"cost_in_usd_ticks":99999999999999999999}""")]
    public async Task A_missing_or_malformed_cost_is_simply_absent(string usage)
    {
        _fake.Options.UsageJson = usage;

        Assert.Null((await DoneAsync()).CostUsdTicks);
    }

    [Fact]
    public async Task A_moderated_or_failed_job_reports_no_cost()
    {
        foreach (var marker in new[] { "[fake:moderation]", "[fake:failed]", "[fake:expired]" })
        {
            var accepted = Assert.IsType<UpstreamSubmit.Accepted>(
                await _provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task("a quiet lake " + marker), _fake.Options.ApiKey), Ct));

            Assert.IsType<UpstreamPoll.Failed>(await _provider.PollAsync(UpstreamJobs.Handle(accepted.UpstreamId, _fake.Options.ApiKey), Ct));
        }
    }

    [Theory]
    [InlineData("0", "0.0000000000")]
    [InlineData("1", "0.0000000001")]
    [InlineData("12500000000", "1.2500000000")]
    [InlineData("9223372036854775807", "922337203.6854775807")]
    [InlineData("18446744073709551614", "1844674407.3709551614")]
    public void Usd_ticks_format_as_exact_decimal_dollars(string ticks, string usd)
        => Assert.Equal(usd, Money.FormatUsdTicks(Int128.Parse(ticks, System.Globalization.CultureInfo.InvariantCulture)));
}
