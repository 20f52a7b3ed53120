using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Vidgate.Fakes;
using Vidgate.Tests.Providers.ComfyUi;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Providers;

/// <summary>
/// Every provider, fed an upstream error that quotes its API key, on submit and on poll: the key reaches neither the
/// task's error message (read through the API) nor any log line. The keys are plain strings no pattern would recognise,
/// so only redaction of the configured key can hide them; the error must still show the upstream's words around it.
/// </summary>
[Collection(UpstreamCollection.Name)]
public sealed class KeyEchoTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string NewKey() => "plainsecret" + Guid.NewGuid().ToString("N");

    [Theory]
    [InlineData("submit")]
    [InlineData("poll")]
    public async Task An_xai_error_that_echoes_the_key_shows_neither_in_the_task_nor_in_logs(string step)
    {
        await using var fake = await FakeXaiUpstream.StartAsync(new FakeXaiOptions { ApiKey = NewKey(), EchoKeyInErrors = true }, ct: Ct);
        var marker = step == "submit" ? "[fake:reject]" : "[fake:failed] [fake:seconds=0.2]";

        var (error, logs) = await FailAsync("xai", fake.BaseUrl, fake.Options.ApiKey, null, "a lake " + marker);

        Assert.Equal(step == "submit" ? "moderation_blocked" : "upstream_failed", error.GetProperty("code").GetString());
        AssertRedacted(error, logs, fake.Options.ApiKey, step == "submit" ? "rejected by content moderation" : "Video generation failed.");
    }

    [Theory]
    [InlineData("submit")]
    [InlineData("poll")]
    public async Task An_openai_compatible_error_that_echoes_the_key_shows_neither_in_the_task_nor_in_logs(string step)
    {
        await using var fake = await FakeOpenAiUpstream.StartAsync(NewKey());
        fake.Faults.EchoKeyInErrors = true;
        if (step == "submit")
        {
            fake.Faults.SubmitStatus = 400;
        }
        else
        {
            fake.Faults.Outcome = FakeOutcome.Fail;
        }

        var (error, logs) = await FailAsync("openai", fake.BaseUrl, fake.ApiKey, null, "a lake");

        Assert.Equal(step == "submit" ? "upstream_rejected" : "upstream_failed", error.GetProperty("code").GetString());
        AssertRedacted(error, logs, fake.ApiKey, step == "submit" ? "error while processing your request" : "could not render this prompt");
    }

    [Theory]
    [InlineData("submit")]
    [InlineData("poll")]
    public async Task A_comfyui_error_that_echoes_the_key_shows_neither_in_the_task_nor_in_logs(string step)
    {
        await using var fake = await FakeComfyUi.StartAsync();
        var key = NewKey();
        if (step == "submit")
        {
            fake.Faults.PromptError = $"proxy refused the body sent with {key}";
        }
        else
        {
            fake.Faults.ExecutionError = $"CUDA out of memory on the box of {key}";
        }

        var (error, logs) = await FailAsync("comfyui", fake.BaseUrl, key, ComfyUiTestKit.SampleOptions("wan2.1-t2v-api.json"), "a lake");

        Assert.Equal(step == "submit" ? "upstream_workflow_invalid" : "upstream_failed", error.GetProperty("code").GetString());
        AssertRedacted(error, logs, key, step == "submit" ? "proxy refused the body" : "CUDA out of memory");
    }

    /// <summary>A server wired to one upstream instance with <paramref name="key"/>; creates one task and waits for it to fail.</summary>
    private static async Task<(JsonElement Error, IReadOnlyCollection<string> Logs)> FailAsync(string type, Uri baseUrl, string key, string? options, string prompt)
    {
        var logs = new CapturedLogs();
        var settings = CapturedLogs.EverythingSettings();
        settings["Vidgate:Upstreams:MinPollInterval"] = "00:00:00.200";
        settings["Vidgate:Upstreams:MaxPollInterval"] = "00:00:01";
        settings["Vidgate:Upstreams:MaxBlindPollInterval"] = "00:00:01";
        settings["Vidgate:Upstreams:RetryDelay"] = "00:00:01";
        settings["Vidgate:Fetch:Allow:0"] = "127.0.0.0/8";
        using var app = new VidgateApp(settings: settings, services: s => s.AddSingleton<ILoggerProvider>(logs));
        await UpstreamServer.ConnectAsync(app, "echo", type, baseUrl, key, options);
        using var user = await app.NewUserAsync();

        var id = (await user.CreateAsync(new { model = "grok-imagine-video", prompt, seconds = "2", resolution = "480P" })).GetProperty("id").GetString()!;
        var failed = await UpstreamServer.WaitFinishedAsync(user, id, TimeSpan.FromSeconds(60));

        Assert.Equal("failed", failed.GetProperty("status").GetString());
        return (failed.GetProperty("error").Clone(), logs.Lines);
    }

    private static void AssertRedacted(JsonElement error, IReadOnlyCollection<string> logs, string key, string upstreamWords)
    {
        var message = error.GetProperty("message").GetString()!;

        // The upstream's words came through (so its echo of the key did too, and was cut out).
        Assert.Contains(upstreamWords, message, StringComparison.Ordinal);
        Assert.Contains("[redacted]", message, StringComparison.Ordinal);
        Assert.DoesNotContain(key, message, StringComparison.Ordinal);
        Assert.DoesNotContain(logs, l => l.Contains(key, StringComparison.Ordinal));
    }
}
