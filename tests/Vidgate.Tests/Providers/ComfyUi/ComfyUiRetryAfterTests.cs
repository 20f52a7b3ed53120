using Vidgate.Server.Providers;

namespace Vidgate.Tests.Providers.ComfyUi;

/// <summary>A rate-limiting proxy in front of ComfyUI says how long to wait; the provider passes that on (it used to drop it).</summary>
public sealed class ComfyUiRetryAfterTests : ComfyUiFakeTests
{
    private static readonly string Wan = ComfyUiTestKit.SampleOptions("wan2.1-t2v-api.json");
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_429_on_submit_is_unavailable_with_its_retry_after()
    {
        Fake.Faults.PromptStatus = 429;

        var result = await Kit.Create(Fake, Wan).SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(), ""), Ct);

        var unavailable = Assert.IsType<UpstreamSubmit.Unavailable>(result);
        Assert.Equal(TimeSpan.FromSeconds(7), unavailable.RetryAfter);
        Assert.False(unavailable.KeyRefused);
    }

    [Fact]
    public async Task A_429_on_poll_is_transient_with_its_retry_after()
    {
        var provider = Kit.Create(Fake, Wan);
        var accepted = Assert.IsType<UpstreamSubmit.Accepted>(await provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(), ""), Ct));
        Fake.Faults.HistoryStatus = 429;

        var poll = await provider.PollAsync(UpstreamJobs.Handle(accepted.UpstreamId, ""), Ct);

        Assert.Equal(TimeSpan.FromSeconds(7), Assert.IsType<UpstreamPoll.Transient>(poll).RetryAfter);
    }

    [Fact]
    public async Task A_500_carries_no_wait()
    {
        Fake.Faults.PromptStatus = 500;

        var result = await Kit.Create(Fake, Wan).SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(), ""), Ct);

        Assert.Null(Assert.IsType<UpstreamSubmit.Unavailable>(result).RetryAfter);
    }
}
