using Vidgate.Fakes;
using Vidgate.Server.Providers;

namespace Vidgate.Tests.Providers.Contract;

/// <summary>The provider contract for <c>xai</c> against <see cref="FakeXaiUpstream"/>.</summary>
public sealed class XaiProviderContractTests : ProviderContract
{
    private readonly ContractKit _kit = new("xai");
    private FakeXaiUpstream _fake = null!;

    /// <summary>xAI documents no cancel endpoint: a cancelled job runs out upstream.</summary>
    private protected override bool Cancels => false;

    private protected override Uri FakeUrl => _fake.BaseUrl;

    private protected override async Task StartFakeAsync() => _fake = await FakeXaiUpstream.StartAsync(
        new FakeXaiOptions { ApiKey = ApiKey, Clock = Clock, MinJob = JobLength, MaxJob = JobLength, RetryAfter = RetryAfter, EchoKeyInErrors = true }, ct: Ct);

    private protected override async Task StopAsync()
    {
        await _fake.DisposeAsync();
        _kit.Dispose();
    }

    private protected override IVideoProvider Create(Uri baseUrl, TimeSpan timeout) => _kit.Create(baseUrl, ApiKey, timeout);

    private protected override UpstreamJob Arrange(SubmitCase c)
    {
        switch (c)
        {
            case SubmitCase.InvalidInput:
                return Job(prompt: "");
            case SubmitCase.Moderated:
                return Job("a quiet lake [fake:reject]");
            case SubmitCase.RateLimited:
                _fake.FailNextSubmits(FakeFault.RateLimited);
                break;
            case SubmitCase.ServerError:
                _fake.FailNextSubmits(FakeFault.ServerError);
                break;
            case SubmitCase.Hang:
                _fake.FailNextSubmits(FakeFault.Timeout);
                break;
            case SubmitCase.Reset:
                _fake.FailNextSubmits(FakeFault.Reset);
                break;
            case SubmitCase.KeyRefused:
                return Job(apiKey: "wrong" + ApiKey);
            case SubmitCase.FailsUpstream:
                return Job("a quiet lake [fake:failed]");
        }

        return Job();
    }

    private protected override void Arrange(PollFault fault) => _fake.FailNextPolls(fault switch
    {
        PollFault.ServerError => FakeFault.ServerError,
        PollFault.RateLimited => FakeFault.RateLimited,
        PollFault.Garbage => FakeFault.Malformed,
        _ => FakeFault.Timeout,
    });

    /// <summary>The fake, like xAI, has nothing that could stop a job.</summary>
    private protected override void ReportProgressAbove99() => _fake.Options.RunningProgress = 150;

    private protected override bool StoppedUpstream(string upstreamId) => false;
}
