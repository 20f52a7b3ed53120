using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StandardWebhooks;
using Vidgate.Server.Providers;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Webhooks;

/// <summary>
/// <c>video.progress</c> end to end: a render whose progress the test steps sends, to an endpoint that asked for it,
/// one signed event per 10-point step with the video as a retrieve shows it, then the ending; an endpoint that did not
/// ask gets only its ending.
/// </summary>
public sealed class ProgressWebhookTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_subscriber_gets_signed_progress_events_rising_one_per_ten_point_step_then_completed_and_others_only_their_ending()
    {
        using var progressAndCompleted = new Receiver();
        using var onlyCompleted = new Receiver();
        var provider = new SteppedProvider();
        using var app = new VidgateApp(settings: WebhookKit.Loopback(), services: provider.Replace);
        using var client = await app.NewUserAsync();
        var (_, secret) = await WebhookKit.RegisterAsync(client, progressAndCompleted.Url, ["video.progress", "video.completed"]);
        var (_, otherSecret) = await WebhookKit.RegisterAsync(client, onlyCompleted.Url, ["video.completed"]);

        // OpenAI dialect: the event's data is an OpenAI Video object, with its progress.
        var created = await Api.OkJsonAsync(await client.PostJsonAsync("/v1/videos", """{"model":"sora-2","prompt":"a slow pan","size":"1280x720","seconds":"4"}"""));
        var id = created.GetProperty("id").GetString()!;
        await client.WaitForAsync(id, "in_progress");

        var verifier = new StandardWebhook(secret);
        var (previous, eventIds) = (0, new List<string>());
        foreach (var value in new[] { 5, 12, 19, 27, 31, 58, 64, 99 })
        {
            await provider.ReportAsync(value);
            await WaitForProgressAsync(client, id, value);
            if (value / 10 > previous / 10)
            {
                // The next event is this step's: a value within the step before it (5, 19) sent nothing.
                var delivery = await progressAndCompleted.NextAsync();
                verifier.Verify(delivery.Text, delivery.Headers);
                var body = delivery.Json;
                Assert.Equal("video.progress", body.GetProperty("type").GetString());
                Assert.Equal(delivery.Id, body.GetProperty("id").GetString());
                var data = body.GetProperty("data");
                Assert.Equal(id, data.GetProperty("id").GetString());
                Assert.Equal("in_progress", data.GetProperty("status").GetString());
                Assert.Equal(value, data.GetProperty("progress").GetInt32());
                eventIds.Add(delivery.Id);
            }

            previous = value;
        }

        provider.Finish();
        var done = await client.WaitForAsync(id, "completed");
        var completed = await progressAndCompleted.NextAsync();
        verifier.Verify(completed.Text, completed.Headers);
        Assert.Equal("video.completed", completed.Json.GetProperty("type").GetString());
        Assert.Equal(done.ToString(), completed.Json.GetProperty("data").ToString());
        eventIds.Add(completed.Id);

        Assert.Equal(7, eventIds.Distinct().Count());
        Assert.True(await progressAndCompleted.QuietForAsync(TimeSpan.FromMilliseconds(500)), "six steps and one ending, nothing more");

        var only = await onlyCompleted.NextAsync();
        new StandardWebhook(otherSecret).Verify(only.Text, only.Headers);
        Assert.Equal("video.completed", only.Json.GetProperty("type").GetString());
        Assert.True(await onlyCompleted.QuietForAsync(TimeSpan.FromMilliseconds(500)), "an endpoint that did not ask for video.progress got it");
    }

    /// <summary>Polls (real time) until a retrieve shows <paramref name="progress"/>: the heartbeat has written it.</summary>
    private static async Task WaitForProgressAsync(HttpClient client, string id, int progress)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await client.GetVideoAsync(id)).GetProperty("progress").GetInt32() != progress)
        {
            Assert.True(DateTime.UtcNow < deadline, $"progress of {id} never reached {progress}");
            await Task.Delay(20, Ct);
        }
    }

    /// <summary>A local provider in builtin's place whose progress the test reports one value at a time, then finishes.</summary>
    private sealed class SteppedProvider : IVideoProvider
    {
        private readonly Channel<int> _steps = Channel.CreateUnbounded<int>();

        public UpstreamSettings Settings => new("builtin", "builtin", new Uri("builtin://local"), [""], TimeSpan.FromMinutes(10), 1, 0,
            new Dictionary<string, string>(), null);

        public void Replace(IServiceCollection services)
        {
            services.RemoveAll<IVideoProvider>();
            services.AddSingleton<IVideoProvider>(this);
        }

        public async Task ReportAsync(int progress) => await _steps.Writer.WriteAsync(progress, Ct);

        public void Finish() => _steps.Writer.Complete();

        public async Task<UpstreamSubmit> SubmitAsync(UpstreamJob job, CancellationToken ct)
        {
            await foreach (var progress in _steps.Reader.ReadAllAsync(ct))
            {
                job.OnProgress(progress);
            }

            var folder = Directory.CreateTempSubdirectory("vidgate-stepped-").FullName;
            var files = new[] { "video.mp4", "thumbnail.webp", "spritesheet.jpg" }.Select(name => Path.Combine(folder, name)).ToArray();
            foreach (var file in files)
            {
                await File.WriteAllBytesAsync(file, [1, 2, 3], ct);
            }

            return new UpstreamSubmit.Finished(new Artifact(files[0], files[1], files[2], folder), null);
        }

        public Task<UpstreamPoll> PollAsync(UpstreamHandle handle, CancellationToken ct) => throw new NotSupportedException("local: never polled");

        public Task CancelAsync(UpstreamHandle handle, CancellationToken ct) => Task.CompletedTask;

        public Task<HttpResponseMessage> OpenResultAsync(UpstreamHandle handle, UpstreamPoll.Done done, CancellationToken ct)
            => throw new NotSupportedException("local: results are files");
    }
}
