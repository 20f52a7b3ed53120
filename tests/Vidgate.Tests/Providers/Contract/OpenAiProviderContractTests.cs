using Vidgate.Fakes;
using Vidgate.Server.Providers;

namespace Vidgate.Tests.Providers.Contract;

/// <summary>The provider contract for <c>openai</c> (OpenAI-compatible) against <see cref="FakeOpenAiUpstream"/>.</summary>
public sealed class OpenAiProviderContractTests : ProviderContract
{
    private readonly ContractKit _kit = new("openai");
    private FakeOpenAiUpstream _fake = null!;

    private protected override Uri FakeUrl => _fake.BaseUrl;

    private protected override async Task StartFakeAsync()
    {
        _fake = await FakeOpenAiUpstream.StartAsync(ApiKey, Clock);
        _fake.Faults.MinJobDuration = _fake.Faults.MaxJobDuration = JobLength;
        _fake.Faults.RetryAfterSeconds = (int)RetryAfter.TotalSeconds;
        _fake.Faults.EchoKeyInErrors = true;
    }

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
                return Job("a quiet lake, " + _fake.Faults.ModerationWord);
            case SubmitCase.RateLimited:
                _fake.Faults.SubmitStatus = 429;
                break;
            case SubmitCase.ServerError:
                _fake.Faults.SubmitStatus = 500;
                break;
            case SubmitCase.Hang:
                _fake.Faults.SubmitDelay = TimeSpan.FromSeconds(30);
                break;
            case SubmitCase.Reset:
                _fake.Faults.ResetSubmit = true;
                break;
            case SubmitCase.KeyRefused:
                return Job(apiKey: "wrong" + ApiKey);
            case SubmitCase.FailsUpstream:
                _fake.Faults.Outcome = FakeOutcome.Fail;
                break;
        }

        return Job();
    }

    private protected override void Arrange(PollFault fault)
    {
        switch (fault)
        {
            case PollFault.ServerError:
                _fake.Faults.PollStatus = 500;
                break;
            case PollFault.RateLimited:
                _fake.Faults.PollStatus = 429;
                break;
            case PollFault.Garbage:
                _fake.Faults.PollStatus = null;
                _fake.Faults.GarbagePoll = true;
                break;
            case PollFault.Hang:
                _fake.Faults.PollDelay = TimeSpan.FromSeconds(30);
                break;
        }
    }

    private protected override void ReportProgressAbove99() => _fake.Faults.RunningProgress = 150;

    private protected override bool StoppedUpstream(string upstreamId) => _fake.IsCancelled(upstreamId) || _fake.IsDeleted(upstreamId);
}
