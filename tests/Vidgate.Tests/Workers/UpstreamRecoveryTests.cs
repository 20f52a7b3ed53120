using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Vidgate.Fakes;
using Vidgate.Server.Providers;
using Vidgate.Server.Providers.Xai;
using Vidgate.Server.Tasks;
using Vidgate.Server.Workers;
using Vidgate.Tests.Providers;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Workers;

/// <summary>Crash safety at the upstream boundary, and cancel reaching the upstream.</summary>
[Collection(UpstreamCollection.Name)]
public sealed class UpstreamRecoveryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_crash_between_submit_and_storing_the_upstream_id_is_reconciled_and_never_submitted_twice()
    {
        await using var fake = await FakeXaiUpstream.StartAsync(ct: Ct);
        var dir = Directory.CreateTempSubdirectory("vidgate-crash-").FullName;
        var settings = new Dictionary<string, string?>
        {
            ["Vidgate:Fetch:Allow:0"] = "127.0.0.0/8",
            ["Vidgate:LeaseDuration"] = "00:00:01",
        };
        try
        {
            string id;
            System.Net.Http.Headers.AuthenticationHeaderValue auth;
            using (var before = new VidgateApp(dir, settings: settings))
            {
                using var admin = before.Admin();
                await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/providers", new
                {
                    id = "xai",
                    type = "xai",
                    base_url = fake.BaseUrl.ToString(),
                    api_keys = new[] { fake.Options.ApiKey },
                    request_timeout_seconds = 2,
                }, Ct));
                await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/routes", new { model = "grok-imagine-video", provider = "xai" }, Ct));
                using var user = await before.NewUserAsync();
                auth = user.DefaultRequestHeaders.Authorization!;

                // The upstream takes the job but its answer never arrives; the server dies in that window.
                var created = await user.CreateAsync(new { model = "grok-imagine-video", prompt = "the crash window [fake:submit-hang]", seconds = "2" });
                id = created.GetProperty("id").GetString()!;
                var waited = DateTime.UtcNow;
                while (fake.Accepted == 0)
                {
                    Assert.True(DateTime.UtcNow - waited < TimeSpan.FromSeconds(20), "the submit never reached the fake");
                    await Task.Delay(50, Ct);
                }

                Assert.Equal("processing", (await user.GetVideoAsync(id)).GetProperty("status").GetString());
            }

            using var after = new VidgateApp(dir, settings: settings);
            using var again = after.Client(null);
            again.DefaultRequestHeaders.Authorization = auth;
            var failed = await again.WaitForAsync(id, "failed", TimeSpan.FromSeconds(30));

            Assert.Equal("upstream_submit_interrupted", failed.GetProperty("error").GetProperty("code").GetString());
            Assert.Equal(1, fake.Submits);
            Assert.Equal(1, fake.Accepted);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Cancelling_a_task_asks_its_upstream_to_stop_and_stops_polling_it()
    {
        // The poll schedule runs on a fake clock shared with the fake upstream: "no more polls" is judged over 5 s of
        // schedule (five of the harness's longest poll intervals) without waiting them out.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var cancels = new CancelLog();
        await using var h = await XaiHarness.StartAsync(clock: clock, type: "xai-recording", services: s =>
        {
            s.AddSingleton(cancels);
            s.AddSingleton<IVideoProviderType, RecordingXaiType>();
        });
        var track = h.App.Service<WorkSignals>().Track;
        using var user = await h.App.NewUserAsync();

        var created = await user.CreateAsync(new { model = "grok-imagine-video", prompt = "never mind [fake:seconds=30]", seconds = "2" });
        var id = created.GetProperty("id").GetString()!;
        await clock.RunUntilAsync(() => Task.FromResult(h.Fake.Polls >= 2), track.Notify, TimeSpan.FromSeconds(20), "two polls");

        var cancelled = await Api.OkJsonAsync(await user.PostAsync($"/v1/videos/{id}/cancel", null, Ct));
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());

        var upstreamId = Assert.Single(h.Fake.Requests.Keys);
        var waited = DateTime.UtcNow;
        while (!cancels.Contains(upstreamId))
        {
            Assert.True(DateTime.UtcNow - waited < TimeSpan.FromSeconds(10), "the upstream cancel was never sent");
            await Task.Delay(20, Ct);
        }

        var polls = h.Fake.PollsOf(upstreamId);
        await clock.PassAsync(TimeSpan.FromSeconds(5), track.Notify);
        Assert.InRange(h.Fake.PollsOf(upstreamId), polls, polls + 1);
        Assert.Equal("cancelled", (await user.GetVideoAsync(id)).GetProperty("status").GetString());
    }
}

/// <summary>Upstream ids the recording provider was asked to cancel.</summary>
internal sealed class CancelLog
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _ids = new();

    public void Add(string id) => _ids[id] = true;

    public bool Contains(string id) => _ids.ContainsKey(id);
}

/// <summary>The real xai provider, with its (no-op) cancel recorded: xAI itself has no cancel endpoint to observe.</summary>
internal sealed class RecordingXaiType(IHttpClientFactory http, IGuardedFetcher fetcher, ILoggerFactory loggers, CancelLog log) : IVideoProviderType
{
    public string Type => "xai-recording";

    public string? Validate(UpstreamSettings settings) => null;

    public IVideoProvider Create(UpstreamSettings settings)
        => new Recording(new XaiProvider(settings, http.CreateClient(UpstreamExtensions.HttpClientName), fetcher, loggers.CreateLogger<XaiProvider>()), log);

    private sealed class Recording(XaiProvider inner, CancelLog log) : IVideoProvider
    {
        public UpstreamSettings Settings => inner.Settings;

        public Task<UpstreamSubmit> SubmitAsync(UpstreamJob job, CancellationToken ct) => inner.SubmitAsync(job, ct);

        public Task<UpstreamPoll> PollAsync(UpstreamHandle handle, CancellationToken ct) => inner.PollAsync(handle, ct);

        public Task CancelAsync(UpstreamHandle handle, CancellationToken ct)
        {
            log.Add(handle.UpstreamId);
            return inner.CancelAsync(handle, ct);
        }

        public Task<HttpResponseMessage> OpenResultAsync(UpstreamHandle handle, UpstreamPoll.Done done, CancellationToken ct) => inner.OpenResultAsync(handle, done, ct);
    }
}
