using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using Vidgate.Fakes;
using Vidgate.Server.Providers;
using Vidgate.Server.Providers.Http;

namespace Vidgate.Tests.Providers.Contract;

/// <summary>How a submit is made to go (each subclass maps it to its fake's knobs and returns the job to submit).</summary>
public enum SubmitCase
{
    /// <summary>The upstream takes the job; it runs <see cref="ProviderContract.JobLength"/> of the fake clock.</summary>
    Accepted,

    /// <summary>The upstream refuses the request as invalid (a 4xx validation error), quoting the key where it can.</summary>
    InvalidInput,

    /// <summary>The upstream's moderation refuses the prompt at submit, quoting the key where it can.</summary>
    Moderated,

    /// <summary>429 with <c>Retry-After: 7</c>.</summary>
    RateLimited,

    /// <summary>A 5xx, quoting the key where the fake can.</summary>
    ServerError,

    /// <summary>No answer until the client gives up.</summary>
    Hang,

    /// <summary>The connection is dropped without an answer.</summary>
    Reset,

    /// <summary>401/403: the key is refused.</summary>
    KeyRefused,

    /// <summary>Accepted, then the job fails upstream when it ends (its error quoting the key where the fake can).</summary>
    FailsUpstream,
}

/// <summary>What goes wrong with a poll of an accepted job (set after the submit).</summary>
public enum PollFault
{
    ServerError,

    /// <summary>429 with <c>Retry-After: 7</c>.</summary>
    RateLimited,

    /// <summary>HTTP 200 with a body that is not the status JSON.</summary>
    Garbage,

    /// <summary>No answer until the client gives up.</summary>
    Hang,
}

/// <summary>
/// What every remote provider does through <see cref="IVideoProvider"/>, as the workers rely on it: the submitter reads
/// Accepted / Rejected (fail, no failover) / Unavailable (next key or route, <c>RetryAfter</c> for the instance,
/// <c>KeyRefused</c> for the key); the tracker reads Running / Done / Failed / Transient and never expects an exception;
/// the finisher streams <see cref="IVideoProvider.OpenResultAsync"/>; the canceller and reconciler call Cancel and Find.
/// Each subclass wires one provider type to its fake. The fake runs on <see cref="Clock"/> (jobs finish when the test says
/// so); the provider runs on the system clock so that its per-call timeouts are real (and short where a test hangs).
/// Where a provider legitimately differs it says so in one overridden property, and the test asserts that behaviour.
/// </summary>
public abstract class ProviderContract : IAsyncLifetime
{
    /// <summary>How long every fake job runs on <see cref="Clock"/>.</summary>
    public static readonly TimeSpan JobLength = TimeSpan.FromSeconds(10);

    /// <summary>The <c>Retry-After</c> every fake sends with its 429s.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(7);

    /// <summary>The per-call timeout of providers that must give up on a hanging upstream.</summary>
    private static readonly TimeSpan ShortTimeout = TimeSpan.FromMilliseconds(300);

    private readonly string _apiKey = "plainsecret" + Guid.NewGuid().ToString("N");
    private IVideoProvider _provider = null!;

    /// <summary>The clock the fake's jobs run on.</summary>
    private protected FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    /// <summary>
    /// The instance's key: plain text no key pattern recognises, so only redaction of the configured key can hide it
    /// from an outcome that quotes an upstream echoing it.
    /// </summary>
    private protected virtual string ApiKey => _apiKey;

    private protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The upstream has a moderation that can refuse a prompt at submit (ComfyUI has none).</summary>
    private protected virtual bool Moderates => true;

    /// <summary>The upstream reports progress while a job runs (Veo and Kling document none: their running polls carry null).</summary>
    private protected virtual bool ReportsProgress => true;

    /// <summary>The upstream can be asked to stop a job (xAI cannot: its jobs run out).</summary>
    private protected virtual bool Cancels => true;

    /// <summary>The provider can look up the job an interrupted submit created (ComfyUI: by the <c>prompt_id</c> it chose).</summary>
    private protected virtual bool LooksUp => false;

    /// <summary>The code an invalid request is rejected with.</summary>
    private protected virtual string InvalidInputCode => "upstream_rejected";

    /// <summary>Starts the fake on <see cref="Clock"/>, with <see cref="ApiKey"/> as its key where it checks one.</summary>
    private protected abstract Task StartFakeAsync();

    /// <summary>Stops the fake and releases what building providers took.</summary>
    private protected abstract Task StopAsync();

    /// <summary>The fake's root URL.</summary>
    private protected abstract Uri FakeUrl { get; }

    /// <summary>A provider of this type with key <see cref="ApiKey"/> against <paramref name="baseUrl"/>, built as the server builds it.</summary>
    private protected abstract IVideoProvider Create(Uri baseUrl, TimeSpan timeout);

    /// <summary>Sets the fake up for <paramref name="c"/>; returns the job to submit.</summary>
    private protected abstract UpstreamJob Arrange(SubmitCase c);

    /// <summary>Makes the fake's next poll answers fail with <paramref name="fault"/>.</summary>
    private protected abstract void Arrange(PollFault fault);

    /// <summary>Makes the fake report progress of 100 % or more for running jobs.</summary>
    private protected abstract void ReportProgressAbove99();

    /// <summary>True when the fake was asked to stop <paramref name="upstreamId"/> (interrupted, cancelled or deleted).</summary>
    private protected abstract bool StoppedUpstream(string upstreamId);

    public async ValueTask InitializeAsync()
    {
        await StartFakeAsync();
        _provider = Create(FakeUrl, TimeSpan.FromSeconds(10));
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>A job for this provider with <see cref="ApiKey"/> (or <paramref name="apiKey"/>).</summary>
    private protected UpstreamJob Job(string prompt = "a red fox running through snow", string? apiKey = null)
        => UpstreamJobs.Job(UpstreamJobs.Task(prompt), apiKey ?? ApiKey);

    [Fact]
    public async Task An_accepted_job_polls_running_then_done_and_its_result_streams_the_upstream_video()
    {
        var handle = await SubmitAsync(SubmitCase.Accepted);

        var progress = new List<int?>();
        progress.Add(Assert.IsType<UpstreamPoll.Running>(await _provider.PollAsync(handle, Ct)).Progress);
        Clock.Advance(JobLength / 2);
        progress.Add(Assert.IsType<UpstreamPoll.Running>(await _provider.PollAsync(handle, Ct)).Progress);
        Clock.Advance(JobLength * 0.495);
        progress.Add(Assert.IsType<UpstreamPoll.Running>(await _provider.PollAsync(handle, Ct)).Progress);
        Clock.Advance(JobLength);
        var done = Assert.IsType<UpstreamPoll.Done>(await _provider.PollAsync(handle, Ct));

        Assert.All(progress, p => Assert.True(p is null or >= 0 and <= 99, $"progress {p} is outside 0..99"));
        using var response = await _provider.OpenResultAsync(handle, done, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(FakeMedia.SmallMp4, await response.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task A_running_job_never_reports_progress_above_99_even_when_the_upstream_does()
    {
        var handle = await SubmitAsync(SubmitCase.Accepted);
        ReportProgressAbove99();
        Clock.Advance(JobLength / 2);
        if (!ReportsProgress)
        {
            // Nothing to clamp: a vendor without progress is never given an invented number.
            Assert.Null(Assert.IsType<UpstreamPoll.Running>(await _provider.PollAsync(handle, Ct)).Progress);
            return;
        }

        // Some upstreams report progress on a side channel (ComfyUI's websocket): poll until a number has arrived.
        UpstreamPoll.Running running;
        var until = DateTimeOffset.UtcNow.AddSeconds(10);
        do
        {
            running = Assert.IsType<UpstreamPoll.Running>(await _provider.PollAsync(handle, Ct));
            if (running.Progress is null)
            {
                await Task.Delay(50, Ct);
            }
        }
        while (running.Progress is null && DateTimeOffset.UtcNow < until);

        Assert.Equal(99, running.Progress);
    }

    [Fact]
    public async Task A_submit_refused_as_invalid_is_rejected_with_a_stable_code()
    {
        var rejected = Assert.IsType<UpstreamSubmit.Rejected>(await _provider.SubmitAsync(Arrange(SubmitCase.InvalidInput), Ct));

        Assert.Equal(InvalidInputCode, rejected.Code);
        Assert.False(string.IsNullOrWhiteSpace(rejected.Message));
    }

    [Fact]
    public async Task A_submit_refused_by_moderation_is_rejected_as_moderation_blocked_where_the_upstream_moderates()
    {
        var outcome = await _provider.SubmitAsync(Arrange(SubmitCase.Moderated), Ct);

        if (Moderates)
        {
            Assert.Equal("moderation_blocked", Assert.IsType<UpstreamSubmit.Rejected>(outcome).Code);
        }
        else
        {
            // Nothing upstream judges the prompt: it is queued as written.
            Assert.IsType<UpstreamSubmit.Accepted>(outcome);
        }
    }

    [Fact]
    public async Task A_429_on_submit_is_unavailable_with_the_retry_after_it_sent()
    {
        var unavailable = Assert.IsType<UpstreamSubmit.Unavailable>(await _provider.SubmitAsync(Arrange(SubmitCase.RateLimited), Ct));

        Assert.Equal(RetryAfter, unavailable.RetryAfter);
        Assert.False(unavailable.KeyRefused);
    }

    [Fact]
    public async Task A_5xx_on_submit_is_unavailable_without_a_wait()
    {
        var unavailable = Assert.IsType<UpstreamSubmit.Unavailable>(await _provider.SubmitAsync(Arrange(SubmitCase.ServerError), Ct));

        Assert.Null(unavailable.RetryAfter);
        Assert.False(unavailable.KeyRefused);
    }

    [Fact]
    public async Task A_submit_that_times_out_is_unavailable()
    {
        var job = Arrange(SubmitCase.Hang);

        var outcome = await Create(FakeUrl, ShortTimeout).SubmitAsync(job, Ct);

        Assert.False(Assert.IsType<UpstreamSubmit.Unavailable>(outcome).KeyRefused);
    }

    [Fact]
    public async Task A_submit_whose_connection_is_reset_is_unavailable()
    {
        var outcome = await _provider.SubmitAsync(Arrange(SubmitCase.Reset), Ct);

        Assert.False(Assert.IsType<UpstreamSubmit.Unavailable>(outcome).KeyRefused);
    }

    [Fact]
    public async Task A_submit_to_a_closed_port_is_unavailable()
    {
        var outcome = await Create(ClosedPort(), ShortTimeout).SubmitAsync(Job(), Ct);

        Assert.False(Assert.IsType<UpstreamSubmit.Unavailable>(outcome).KeyRefused);
    }

    [Fact]
    public async Task A_refused_key_on_submit_is_unavailable_with_key_refused()
    {
        var unavailable = Assert.IsType<UpstreamSubmit.Unavailable>(await _provider.SubmitAsync(Arrange(SubmitCase.KeyRefused), Ct));

        Assert.True(unavailable.KeyRefused);
    }

    [Theory]
    [InlineData(PollFault.ServerError)]
    [InlineData(PollFault.RateLimited)]
    [InlineData(PollFault.Garbage)]
    [InlineData(PollFault.Hang)]
    public async Task A_poll_that_cannot_tell_is_transient(PollFault fault)
    {
        var handle = await SubmitAsync(SubmitCase.Accepted);
        Arrange(fault);
        var provider = fault == PollFault.Hang ? Create(FakeUrl, ShortTimeout) : _provider;

        var transient = Assert.IsType<UpstreamPoll.Transient>(await provider.PollAsync(handle, Ct));

        Assert.Equal(fault == PollFault.RateLimited ? RetryAfter : null, transient.RetryAfter);
    }

    [Fact]
    public async Task A_job_that_fails_upstream_polls_failed_with_a_code()
    {
        var handle = await SubmitAsync(SubmitCase.FailsUpstream);
        Clock.Advance(JobLength * 2);

        var failed = Assert.IsType<UpstreamPoll.Failed>(await _provider.PollAsync(handle, Ct));

        Assert.Equal("upstream_failed", failed.Code);
        Assert.False(string.IsNullOrWhiteSpace(failed.Message));
    }

    [Fact]
    public async Task The_api_key_never_appears_in_any_outcome_even_when_the_upstream_echoes_it()
    {
        var texts = new List<string>();

        // Polls first: the submit faults below stay set on some fakes.
        var failing = await SubmitAsync(SubmitCase.FailsUpstream);
        Clock.Advance(JobLength * 2);
        var failed = Assert.IsType<UpstreamPoll.Failed>(await _provider.PollAsync(failing, Ct));
        foreach (var fault in new[] { PollFault.ServerError, PollFault.RateLimited, PollFault.Garbage })
        {
            Arrange(fault);
            texts.Add(Text(await _provider.PollAsync(failing, Ct)));
        }

        foreach (var c in new[] { SubmitCase.InvalidInput, SubmitCase.Moderated, SubmitCase.ServerError, SubmitCase.RateLimited, SubmitCase.KeyRefused })
        {
            texts.Add(Text(await _provider.SubmitAsync(Arrange(c), Ct)));
        }

        // The failed job's own words came through, and with them the echo of the key, which was cut out.
        Assert.Contains(KeyRedactor.Mark, failed.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiKey, failed.Message, StringComparison.Ordinal);
        Assert.All(texts, t => Assert.DoesNotContain(ApiKey, t, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cancel_of_an_unknown_or_finished_job_returns_quietly()
    {
        await _provider.CancelAsync(UpstreamJobs.Handle("no-such-job-" + Guid.NewGuid().ToString("N"), ApiKey), Ct);

        var handle = await SubmitAsync(SubmitCase.Accepted);
        Clock.Advance(JobLength * 2);
        Assert.IsType<UpstreamPoll.Done>(await _provider.PollAsync(handle, Ct));
        await _provider.CancelAsync(handle, Ct);
    }

    [Fact]
    public async Task Cancel_of_a_running_job_asks_the_upstream_to_stop_where_it_can()
    {
        var handle = await SubmitAsync(SubmitCase.Accepted);
        Clock.Advance(JobLength / 2);
        Assert.IsType<UpstreamPoll.Running>(await _provider.PollAsync(handle, Ct));

        await _provider.CancelAsync(handle, Ct);

        // Where the upstream has no cancel, the call is a no-op and the job runs on upstream.
        Assert.Equal(Cancels, StoppedUpstream(handle.UpstreamId));
        if (!Cancels)
        {
            Assert.IsType<UpstreamPoll.Running>(await _provider.PollAsync(handle, Ct));
        }
    }

    [Fact]
    public async Task Find_answers_found_and_not_found_where_the_provider_can_look_up_and_unsupported_elsewhere()
    {
        var job = Arrange(SubmitCase.Accepted);
        var accepted = Assert.IsType<UpstreamSubmit.Accepted>(await _provider.SubmitAsync(job, Ct));

        var found = await _provider.FindAsync(job.IdempotencyKey, ApiKey, Ct);
        var missing = await _provider.FindAsync(Job().IdempotencyKey, ApiKey, Ct);

        if (LooksUp)
        {
            Assert.Equal(accepted.UpstreamId, Assert.IsType<UpstreamLookup.Found>(found).UpstreamId);
            Assert.IsType<UpstreamLookup.NotFound>(missing);
        }
        else
        {
            Assert.IsType<UpstreamLookup.Unsupported>(found);
            Assert.IsType<UpstreamLookup.Unsupported>(missing);
        }
    }

    private protected IVideoProvider Provider => _provider;

    private protected async Task<UpstreamHandle> SubmitAsync(SubmitCase c)
    {
        var accepted = Assert.IsType<UpstreamSubmit.Accepted>(await _provider.SubmitAsync(Arrange(c), Ct));
        Assert.False(string.IsNullOrWhiteSpace(accepted.UpstreamId));
        return new UpstreamHandle("up-test", accepted.UpstreamId, 0, ApiKey, accepted.State);
    }

    private static string Text(UpstreamSubmit outcome) => outcome switch
    {
        UpstreamSubmit.Rejected r => r.Code + " " + r.Message,
        UpstreamSubmit.Unavailable u => u.Reason,
        _ => "",
    };

    private static string Text(UpstreamPoll outcome) => outcome switch
    {
        UpstreamPoll.Failed f => f.Code + " " + f.Message,
        UpstreamPoll.Transient t => t.Reason,
        _ => "",
    };

    /// <summary>A loopback URL nothing listens on (the port was free a moment ago): connections are refused.</summary>
    private static Uri ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}");
    }
}
