using Microsoft.Extensions.Time.Testing;
using Vidgate.Fakes;
using Vidgate.Server.Providers;
using Vidgate.Server.Providers.ComfyUi;

namespace Vidgate.Tests.Providers.ComfyUi;

/// <summary>The client-chosen <c>prompt_id</c> and the lookup crash reconciliation relies on, against the fake ComfyUI.</summary>
public sealed class ComfyUiLookupTests : ComfyUiFakeTests
{
    private static readonly string Wan = ComfyUiTestKit.SampleOptions("wan2.1-t2v-api.json", "\"fps\":16,\"frame_step\":4");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task After_a_restart_a_submitted_task_is_found_by_the_id_its_submit_chose_and_only_on_its_instance()
    {
        var task = UpstreamJobs.Task();
        var accepted = Assert.IsType<UpstreamSubmit.Accepted>(await Kit.Create(Fake, Wan).SubmitAsync(UpstreamJobs.Job(task, ""), Ct));

        // A fresh provider is the server after a crash: all it has is the task, not the answer to the submit.
        var restarted = Kit.Create(Fake, Wan);
        Assert.Equal(accepted.UpstreamId, Assert.IsType<UpstreamLookup.Found>(await restarted.FindAsync(task.Id, "", Ct)).UpstreamId);
        Assert.IsType<UpstreamLookup.NotFound>(await restarted.FindAsync(UpstreamJobs.Task().Id, "", Ct));

        // Another instance in front of the same ComfyUI never adopts this instance's job.
        var other = Kit.Type.Create(UpstreamJobs.Settings("comfyui", Fake.BaseUrl, "", Wan) with { Id = "up-other" });
        Assert.IsType<UpstreamLookup.NotFound>(await other.FindAsync(task.Id, "", Ct));
    }

    [Fact]
    public async Task Submit_sends_the_prompt_id_and_comfyui_keeps_it()
    {
        var provider = Kit.Create(Fake, Wan);
        var task = UpstreamJobs.Task();

        var accepted = Assert.IsType<UpstreamSubmit.Accepted>(await provider.SubmitAsync(UpstreamJobs.Job(task, ""), Ct));

        Assert.Equal(ComfyUiProvider.PromptId(provider.Settings.Id, task.Id), accepted.UpstreamId);
        Assert.Equal(accepted.UpstreamId, Assert.Single(Fake.Submitted).Key);
    }

    [Fact]
    public async Task A_prompt_is_found_while_pending_running_and_finished_and_not_found_when_never_sent()
    {
        var provider = Kit.Create(Fake, Wan);
        var first = UpstreamJobs.Task();
        var second = UpstreamJobs.Task();
        await provider.SubmitAsync(UpstreamJobs.Job(first, ""), Ct);
        await provider.SubmitAsync(UpstreamJobs.Job(second, ""), Ct);
        var secondId = ComfyUiProvider.PromptId(provider.Settings.Id, second.Id);

        // first runs, second waits behind it.
        Assert.Equal(secondId, Assert.IsType<UpstreamLookup.Found>(await provider.FindAsync(second.Id, "", Ct)).UpstreamId);
        Assert.IsType<UpstreamLookup.Found>(await provider.FindAsync(first.Id, "", Ct));

        Clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(secondId, Assert.IsType<UpstreamLookup.Found>(await provider.FindAsync(second.Id, "", Ct)).UpstreamId);
        Assert.Contains($"GET /history/{secondId}", Fake.Calls);

        Assert.IsType<UpstreamLookup.NotFound>(await provider.FindAsync(UpstreamJobs.Task().Id, "", Ct));
    }

    [Fact]
    public async Task Errors_and_garbage_make_the_lookup_unknown_never_not_found()
    {
        var provider = Kit.Create(Fake, Wan, TimeSpan.FromSeconds(2));
        var taskId = UpstreamJobs.Task().Id;

        Fake.Faults.QueueStatus = 500;
        Assert.IsType<UpstreamLookup.Unknown>(await provider.FindAsync(taskId, "", Ct));

        Fake.Faults.QueueStatus = null;
        Fake.Faults.HistoryStatus = 503;
        Assert.IsType<UpstreamLookup.Unknown>(await provider.FindAsync(taskId, "", Ct));

        Fake.Faults.HistoryStatus = null;
        Fake.Faults.GarbageHistory = true;
        Assert.IsType<UpstreamLookup.Unknown>(await provider.FindAsync(taskId, "", Ct));

        Fake.Faults.GarbageHistory = false;
        Assert.IsType<UpstreamLookup.NotFound>(await provider.FindAsync(taskId, "", Ct));
    }

    [Fact]
    public async Task An_unreachable_comfyui_makes_the_lookup_unknown()
    {
        var gone = await FakeComfyUi.StartAsync(Clock);
        var provider = Kit.Create(gone, Wan, TimeSpan.FromSeconds(2));
        await gone.DisposeAsync();

        var lookup = await provider.FindAsync(UpstreamJobs.Task().Id, "", Ct);

        Assert.Contains("connection", Assert.IsType<UpstreamLookup.Unknown>(lookup).Reason, StringComparison.Ordinal);
    }
}
