using Vidgate.Fakes;
using Vidgate.Server.Providers;
using Vidgate.Tests.Providers.ComfyUi;

namespace Vidgate.Tests.Providers.Contract;

/// <summary>
/// The provider contract for <c>comfyui</c> against <see cref="FakeComfyUi"/>. ComfyUI has no keys of its own: the key
/// goes to a reverse proxy in front of it, which is what refuses it, rate-limits and echoes it here.
/// </summary>
public sealed class ComfyUiProviderContractTests : ProviderContract
{
    private static readonly string Wan = ComfyUiTestKit.SampleOptions("wan2.1-t2v-api.json");
    private readonly ContractKit _kit = new("comfyui");
    private FakeComfyUi _fake = null!;

    /// <summary>ComfyUI runs any prompt it is given: nothing upstream moderates.</summary>
    private protected override bool Moderates => false;

    /// <summary>The submit chooses the <c>prompt_id</c>, so an interrupted submit's prompt can be looked up.</summary>
    private protected override bool LooksUp => true;

    /// <summary>ComfyUI's 400 refuses the workflow it was sent.</summary>
    private protected override string InvalidInputCode => "upstream_workflow_invalid";

    private protected override Uri FakeUrl => _fake.BaseUrl;

    private protected override async Task StartFakeAsync()
    {
        _fake = await FakeComfyUi.StartAsync(Clock);
        _fake.Faults.JobDuration = JobLength;
    }

    private protected override async Task StopAsync()
    {
        await _fake.DisposeAsync();
        _kit.Dispose();
    }

    private protected override IVideoProvider Create(Uri baseUrl, TimeSpan timeout) => _kit.Create(baseUrl, ApiKey, timeout, Wan);

    private protected override UpstreamJob Arrange(SubmitCase c)
    {
        switch (c)
        {
            case SubmitCase.InvalidInput:
                _fake.Faults.PromptError = $"proxy refused the body sent with {ApiKey}";
                break;
            case SubmitCase.Moderated:
                return Job("something any moderation would refuse [fake:reject]");
            case SubmitCase.RateLimited:
                _fake.Faults.PromptStatus = 429;
                break;
            case SubmitCase.ServerError:
                _fake.Faults.PromptStatus = 500;
                break;
            case SubmitCase.Hang:
                _fake.Faults.HoldPrompt = PromptHold.BeforeQueue;
                break;
            case SubmitCase.Reset:
                _fake.Faults.ResetPrompt = true;
                break;
            case SubmitCase.KeyRefused:
                _fake.Faults.PromptStatus = 401;
                break;
            case SubmitCase.FailsUpstream:
                _fake.Faults.ExecutionError = $"CUDA out of memory on the box of {ApiKey}";
                break;
        }

        return Job();
    }

    private protected override void Arrange(PollFault fault)
    {
        switch (fault)
        {
            case PollFault.ServerError:
                _fake.Faults.HistoryStatus = 500;
                break;
            case PollFault.RateLimited:
                _fake.Faults.HistoryStatus = 429;
                break;
            case PollFault.Garbage:
                _fake.Faults.HistoryStatus = null;
                _fake.Faults.GarbageHistory = true;
                break;
            case PollFault.Hang:
                _fake.Faults.Latency = TimeSpan.FromSeconds(30);
                break;
        }
    }

    private protected override void ReportProgressAbove99() => _fake.Faults.ProgressValue = 25;

    private protected override bool StoppedUpstream(string upstreamId) => _fake.Interrupts > 0;
}
