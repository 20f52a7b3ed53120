using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Vidgate.Fakes;
using Vidgate.Server.Providers.ComfyUi;
using Vidgate.Tests.Billing;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Providers.ComfyUi;

/// <summary>
/// A server that dies between <c>POST /prompt</c> and storing the prompt id: after the restart the tracker asks ComfyUI
/// (<c>/queue</c>, <c>/history/{prompt_id}</c>) and adopts the prompt, sends it again, or waits until ComfyUI answers.
/// </summary>
[Collection(UpstreamCollection.Name)]
public sealed class ComfyUiCrashRecoveryTests
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Vidgate:Fetch:Allow:0"] = "127.0.0.0/8",
        ["Vidgate:LeaseDuration"] = "00:00:01",
        ["Vidgate:Upstreams:PollLease"] = "00:00:02",
        ["Vidgate:Upstreams:MinPollInterval"] = "00:00:00.200",
        ["Vidgate:Upstreams:MaxPollInterval"] = "00:00:01",
        ["Vidgate:Upstreams:MaxBlindPollInterval"] = "00:00:01",
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_prompt_comfyui_queued_before_the_crash_is_adopted_and_completes_without_a_second_prompt()
    {
        await using var fake = await FakeComfyUi.StartAsync();
        using var crash = await CrashMidSubmitAsync(fake, PromptHold.AfterQueue);
        Assert.Equal(1, fake.Queued);
        fake.Faults.HoldPrompt = null;

        using var after = new VidgateApp(crash.Dir, settings: Settings);
        using var user = crash.User(after);
        await user.WaitForAsync(crash.TaskId, "completed", TimeSpan.FromSeconds(40));

        Assert.Equal(1, fake.Queued);
        Assert.Equal(ComfyUiProvider.PromptId("gpu-box", crash.TaskId), Assert.Single(fake.Submitted).Key);
        Assert.Single(fake.Calls, c => c == "POST /prompt");
        await AssertChargedOnceAsync(after, crash);
    }

    [Fact]
    public async Task A_prompt_comfyui_never_queued_is_sent_again_once_after_the_crash_and_completes()
    {
        await using var fake = await FakeComfyUi.StartAsync();
        using var crash = await CrashMidSubmitAsync(fake, PromptHold.BeforeQueue);
        Assert.Equal(0, fake.Queued);
        fake.Faults.HoldPrompt = null;

        using var after = new VidgateApp(crash.Dir, settings: Settings);
        using var user = crash.User(after);
        await user.WaitForAsync(crash.TaskId, "completed", TimeSpan.FromSeconds(40));

        Assert.Equal(1, fake.Queued);
        Assert.Equal(ComfyUiProvider.PromptId("gpu-box", crash.TaskId), Assert.Single(fake.Submitted).Key);
        Assert.Equal(2, fake.Calls.Count(c => c == "POST /prompt"));
        await AssertChargedOnceAsync(after, crash);
    }

    [Fact]
    public async Task While_comfyui_cannot_say_whether_it_has_the_prompt_the_task_waits_and_is_reconciled_once_it_can()
    {
        await using var fake = await FakeComfyUi.StartAsync();
        using var crash = await CrashMidSubmitAsync(fake, PromptHold.AfterQueue);
        fake.Faults.HoldPrompt = null;
        fake.Faults.QueueStatus = 500;
        fake.Faults.HistoryStatus = 500;
        var lookupsBefore = fake.Calls.Count(c => c == "GET /queue");

        using var after = new VidgateApp(crash.Dir, settings: Settings);
        using var user = crash.User(after);
        var waited = DateTime.UtcNow;
        while (fake.Calls.Count(c => c == "GET /queue") < lookupsBefore + 2)
        {
            Assert.True(DateTime.UtcNow - waited < TimeSpan.FromSeconds(40), "the tracker never looked the prompt up twice");
            await Task.Delay(100, Ct);
        }

        var video = await user.GetVideoAsync(crash.TaskId);
        Assert.Equal("processing", video.GetProperty("status").GetString());

        fake.Faults.QueueStatus = null;
        fake.Faults.HistoryStatus = null;
        await user.WaitForAsync(crash.TaskId, "completed", TimeSpan.FromSeconds(40));

        Assert.Equal(1, fake.Queued);
        Assert.Single(fake.Calls, c => c == "POST /prompt");
        await AssertChargedOnceAsync(after, crash);
    }

    [Fact]
    public async Task An_interrupted_submit_comfyui_never_answers_about_fails_at_the_deadline_and_releases_the_hold()
    {
        var settings = new Dictionary<string, string?>(Settings) { ["Vidgate:Upstreams:Deadline"] = "00:00:08" };
        await using var fake = await FakeComfyUi.StartAsync();
        using var crash = await CrashMidSubmitAsync(fake, PromptHold.AfterQueue, settings);
        fake.Faults.HoldPrompt = null;
        fake.Faults.QueueStatus = 500;
        fake.Faults.HistoryStatus = 500;

        using var after = new VidgateApp(crash.Dir, settings: settings);
        using var user = crash.User(after);
        var failed = await user.WaitForAsync(crash.TaskId, "failed", TimeSpan.FromSeconds(40));

        Assert.Equal("upstream_timeout", failed.GetProperty("error").GetProperty("code").GetString());
        Assert.Single(fake.Calls, c => c == "POST /prompt");
        var books = await Books.ReadAsync(after, crash.AccountId);
        Assert.Equal((crash.StartBalance, 0L, 0), (books.Balance, books.Held, books.InFlight));
    }

    [Fact]
    public async Task A_prompt_comfyui_queued_although_the_submit_timed_out_is_adopted_not_sent_to_the_next_route()
    {
        await using var fake = await FakeComfyUi.StartAsync();
        await using var other = await FakeComfyUi.StartAsync();
        fake.Faults.HoldPrompt = PromptHold.AfterQueue;
        var dir = Directory.CreateTempSubdirectory("vidgate-comfy-timeout-").FullName;
        using (var app = new VidgateApp(dir, settings: Settings))
        {
            using (var admin = app.Admin())
            {
                var priority = 0;
                foreach (var (id, upstream) in new[] { ("gpu-box", fake), ("spare-box", other) })
                {
                    await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/providers", new
                    {
                        id,
                        type = "comfyui",
                        base_url = upstream.BaseUrl.ToString(),
                        api_keys = new[] { "none" },
                        request_timeout_seconds = 1,
                        options = JsonDocument.Parse(ComfyUiTestKit.SampleOptions("wan2.1-t2v-api.json", "\"fps\":16,\"frame_step\":4")).RootElement,
                    }, Ct));
                    await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/routes", new { model = "grok-imagine-video", provider = id, priority = priority++ }, Ct));
                }
            }

            using var user = await app.NewUserAsync();
            var created = await user.CreateAsync(new { model = "grok-imagine-video", prompt = "slow to answer", seconds = "2" });
            var waited = DateTime.UtcNow;
            while (fake.Held == 0)
            {
                Assert.True(DateTime.UtcNow - waited < TimeSpan.FromSeconds(20), "the submit never reached the fake");
                await Task.Delay(50, Ct);
            }

            // The held POST times out on our side; the prompt is queued on ComfyUI's. Let later calls through.
            fake.Faults.HoldPrompt = null;
            await user.WaitForAsync(created.GetProperty("id").GetString()!, "completed", TimeSpan.FromSeconds(40));

            Assert.Equal((1, 0), (fake.Queued, other.Queued));
            Assert.Single(fake.Calls, c => c == "POST /prompt");
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(dir, recursive: true);
    }

    /// <summary>
    /// Creates a task on a fresh server whose <c>POST /prompt</c> the fake holds (<paramref name="hold"/>), and stops the
    /// server while it waits: the task is left <c>submitting</c>, as after a crash in that window.
    /// </summary>
    private static async Task<Crash> CrashMidSubmitAsync(FakeComfyUi fake, PromptHold hold, Dictionary<string, string?>? settings = null)
    {
        fake.Faults.HoldPrompt = hold;
        var dir = Directory.CreateTempSubdirectory("vidgate-comfy-crash-").FullName;
        using var before = new VidgateApp(dir, settings: settings ?? Settings);
        using (var admin = before.Admin())
        {
            await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/providers", new
            {
                id = "gpu-box",
                type = "comfyui",
                base_url = fake.BaseUrl.ToString(),
                api_keys = new[] { "none" },
                request_timeout_seconds = 2,
                options = JsonDocument.Parse(ComfyUiTestKit.SampleOptions("wan2.1-t2v-api.json", "\"fps\":16,\"frame_step\":4")).RootElement,
            }, Ct));
            await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/routes", new { model = "grok-imagine-video", provider = "gpu-box" }, Ct));
        }

        var (key, account) = await before.NewKeyAsync();
        await before.TopUpAsync(account, 1000_000_000);
        var balance = (await Books.ReadAsync(before, account)).Balance;
        using var user = before.Client(key);
        var id = (await user.CreateAsync(new { model = "grok-imagine-video", prompt = "the crash window", seconds = "2" })).GetProperty("id").GetString()!;
        var waited = DateTime.UtcNow;
        while (fake.Held == 0)
        {
            Assert.True(DateTime.UtcNow - waited < TimeSpan.FromSeconds(20), "the submit never reached the fake");
            await Task.Delay(50, Ct);
        }

        Assert.Equal("processing", (await user.GetVideoAsync(id)).GetProperty("status").GetString());
        var held = (await Books.ReadAsync(before, account)).Held;
        Assert.True(held > 0, $"held {held}");
        return new Crash(dir, id, key, account, balance, held);
    }

    /// <summary>The hold is settled: one charge of the held amount, taken from the balance the account had before the task.</summary>
    private static async Task AssertChargedOnceAsync(VidgateApp app, Crash crash)
    {
        var books = await Books.ReadAsync(app, crash.AccountId);
        Assert.Equal((0L, 0), (books.Held, books.InFlight));
        Assert.Equal(-crash.Held, (await Books.LedgerAsync(app, crash.AccountId))["charge"]);
        Assert.Equal(crash.StartBalance - crash.Held, books.Balance);
    }

    private sealed record Crash(string Dir, string TaskId, string Key, string AccountId, long StartBalance, long Held) : IDisposable
    {
        public HttpClient User(VidgateApp app)
        {
            var client = app.Client(null);
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
            return client;
        }

        public void Dispose()
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(Dir, recursive: true);
        }
    }
}
