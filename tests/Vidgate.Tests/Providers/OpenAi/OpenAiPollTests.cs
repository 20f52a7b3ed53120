using Microsoft.Extensions.Time.Testing;
using Vidgate.Fakes;
using Vidgate.Server.Providers;

namespace Vidgate.Tests.Providers.OpenAi;

/// <summary>Poll, cancel and result download against the fake, on a clock shared by fake and provider.</summary>
public sealed class OpenAiPollTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly OpenAiTestKit _kit;
    private FakeOpenAiUpstream _fake = null!;
    private IVideoProvider _provider = null!;

    public OpenAiPollTests() => _kit = new OpenAiTestKit(_clock);

    public async ValueTask InitializeAsync()
    {
        _fake = await FakeOpenAiUpstream.StartAsync(clock: _clock);
        _provider = _kit.Create(_fake);
    }

    public async ValueTask DisposeAsync()
    {
        await _fake.DisposeAsync();
        _kit.Dispose();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<UpstreamHandle> SubmitAsync(string prompt = "a lighthouse at dusk")
    {
        var accepted = Assert.IsType<UpstreamSubmit.Accepted>(await _provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(prompt), _fake.ApiKey), Ct));
        return UpstreamJobs.Handle(accepted.UpstreamId, _fake.ApiKey);
    }

    private void Duration(int seconds) => _fake.Faults.MinJobDuration = _fake.Faults.MaxJobDuration = TimeSpan.FromSeconds(seconds);

    [Fact]
    public async Task A_job_goes_from_queued_through_running_to_done_with_its_length()
    {
        Duration(10);
        var handle = await SubmitAsync();

        Assert.Equal(new UpstreamPoll.Running(0), await _provider.PollAsync(handle, Ct));
        _clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(new UpstreamPoll.Running(50), await _provider.PollAsync(handle, Ct));
        _clock.Advance(TimeSpan.FromSeconds(5));
        var done = Assert.IsType<UpstreamPoll.Done>(await _provider.PollAsync(handle, Ct));

        Assert.Equal(6, done.ActualSeconds);
        Assert.Null(done.ResultUrl);
        Assert.All(_fake.Requests.Where(r => r.Method == "GET"), r => Assert.Equal($"Bearer {_fake.ApiKey}", r.Authorization));
    }

    [Theory]
    [InlineData(FakeProgressFormat.WholeNumber)]
    [InlineData(FakeProgressFormat.Fraction)]
    [InlineData(FakeProgressFormat.PercentString)]
    public async Task Progress_is_read_as_int_float_or_percent_string(FakeProgressFormat format)
    {
        Duration(10);
        _fake.Faults.ProgressFormat = format;
        var handle = await SubmitAsync();
        _clock.Advance(TimeSpan.FromSeconds(3));

        Assert.Equal(new UpstreamPoll.Running(30), await _provider.PollAsync(handle, Ct));
    }

    [Theory]
    [InlineData("processing", "succeeded")]
    [InlineData("RUNNING", "SUCCESS")]
    [InlineData("IN_PROGRESS", "Done")]
    [InlineData("generating", "complete")]
    public async Task Reseller_status_words_are_understood(string running, string done)
    {
        Duration(10);
        _fake.Faults.RunningWord = running;
        _fake.Faults.DoneWord = done;
        var handle = await SubmitAsync();
        _clock.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(new UpstreamPoll.Running(60), await _provider.PollAsync(handle, Ct));

        _clock.Advance(TimeSpan.FromSeconds(6));
        Assert.IsType<UpstreamPoll.Done>(await _provider.PollAsync(handle, Ct));
    }

    [Fact]
    public async Task An_unknown_status_word_keeps_the_task_running()
    {
        Duration(10);
        _fake.Faults.RunningWord = "unknown";
        var handle = await SubmitAsync();
        _clock.Advance(TimeSpan.FromSeconds(4));

        Assert.Equal(new UpstreamPoll.Running(40), await _provider.PollAsync(handle, Ct));
    }

    [Theory]
    [InlineData(FakeOutcome.Fail, "upstream_failed", "could not render")]
    [InlineData(FakeOutcome.Moderated, "moderation_blocked", "content policy")]
    [InlineData(FakeOutcome.Expire, "upstream_expired", "expired")]
    public async Task Upstream_failures_become_failed_with_our_code(FakeOutcome outcome, string code, string words)
    {
        Duration(1);
        _fake.Faults.Outcome = outcome;
        var handle = await SubmitAsync();
        _clock.Advance(TimeSpan.FromSeconds(2));

        var failed = Assert.IsType<UpstreamPoll.Failed>(await _provider.PollAsync(handle, Ct));

        Assert.Equal(code, failed.Code);
        Assert.Contains(words, failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_failed_word_error_is_also_understood()
    {
        Duration(1);
        _fake.Faults.FailedWord = "FAILURE";
        _fake.Faults.Outcome = FakeOutcome.Fail;
        var handle = await SubmitAsync();
        _clock.Advance(TimeSpan.FromSeconds(2));

        Assert.IsType<UpstreamPoll.Failed>(await _provider.PollAsync(handle, Ct));
    }

    [Fact]
    public async Task A_job_that_is_already_failed_in_the_create_answer_is_rejected()
    {
        _fake.Faults.Outcome = FakeOutcome.Moderated;

        var result = await _provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(), _fake.ApiKey), Ct);

        Assert.Equal("moderation_blocked", Assert.IsType<UpstreamSubmit.Rejected>(result).Code);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(401)]
    public async Task Errors_on_poll_are_transient(int status)
    {
        var handle = await SubmitAsync();
        _fake.Faults.PollStatus = status;

        Assert.IsType<UpstreamPoll.Transient>(await _provider.PollAsync(handle, Ct));
    }

    [Fact]
    public async Task Garbage_and_resets_on_poll_are_transient()
    {
        var handle = await SubmitAsync();
        _fake.Faults.GarbagePoll = true;
        Assert.IsType<UpstreamPoll.Transient>(await _provider.PollAsync(handle, Ct));

        _fake.Faults.GarbagePoll = false;
        _fake.Faults.ResetPoll = true;
        Assert.IsType<UpstreamPoll.Transient>(await _provider.PollAsync(handle, Ct));
    }

    [Fact]
    public async Task A_never_seen_job_that_404s_fails_only_after_the_grace()
    {
        var handle = UpstreamJobs.Handle("video_never_created", _fake.ApiKey);

        Assert.IsType<UpstreamPoll.Transient>(await _provider.PollAsync(handle, Ct));
        _clock.Advance(TimeSpan.FromSeconds(119));
        Assert.IsType<UpstreamPoll.Transient>(await _provider.PollAsync(handle, Ct));
        _clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal("upstream_not_found", Assert.IsType<UpstreamPoll.Failed>(await _provider.PollAsync(handle, Ct)).Code);
    }

    [Fact]
    public async Task A_job_that_answered_and_then_404s_fails_at_once()
    {
        Duration(60);
        var handle = await SubmitAsync();
        Assert.IsType<UpstreamPoll.Running>(await _provider.PollAsync(handle, Ct));
        using var http = new HttpClient();
        using var delete = new HttpRequestMessage(HttpMethod.Delete, new Uri(_fake.BaseUrl, $"/v1/videos/{handle.UpstreamId}"));
        (await http.SendAsync(delete, Ct)).EnsureSuccessStatusCode();

        Assert.Equal("upstream_not_found", Assert.IsType<UpstreamPoll.Failed>(await _provider.PollAsync(handle, Ct)).Code);
    }

    [Fact]
    public async Task The_result_comes_from_content_with_the_key()
    {
        var handle = await SubmitAsync();
        var done = Assert.IsType<UpstreamPoll.Done>(await _provider.PollAsync(handle, Ct));

        using var response = await _provider.OpenResultAsync(handle, done, Ct);

        Assert.True(response.IsSuccessStatusCode);
        Assert.Equal(FakeMedia.SmallMp4, await response.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal($"Bearer {_fake.ApiKey}", _fake.Requests.Last(r => r.Path.EndsWith("/content", StringComparison.Ordinal)).Authorization);
        Assert.Empty(_kit.Fetcher.Calls);
    }

    [Fact]
    public async Task A_video_url_on_another_host_goes_through_the_guard_without_the_key()
    {
        _fake.Faults.Delivery = FakeDelivery.ForeignUrl;
        var handle = await SubmitAsync();
        var done = Assert.IsType<UpstreamPoll.Done>(await _provider.PollAsync(handle, Ct));
        Assert.StartsWith(_fake.FileHostUrl.AbsoluteUri, done.ResultUrl, StringComparison.Ordinal);

        using var response = await _provider.OpenResultAsync(handle, done, Ct);

        Assert.Equal(FakeMedia.SmallMp4, await response.Content.ReadAsByteArrayAsync(Ct));
        var call = Assert.Single(_kit.Fetcher.Calls);
        Assert.Null(call.Headers);
        Assert.Null(Assert.Single(_fake.FileHostAuthorizations));
        Assert.DoesNotContain(_fake.Requests, r => r.Path.EndsWith("/content", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_video_url_that_404s_falls_back_to_content()
    {
        _fake.Faults.Delivery = FakeDelivery.ForeignUrl404;
        var handle = await SubmitAsync();
        var done = Assert.IsType<UpstreamPoll.Done>(await _provider.PollAsync(handle, Ct));

        using var response = await _provider.OpenResultAsync(handle, done, Ct);

        Assert.True(response.IsSuccessStatusCode);
        Assert.Equal(FakeMedia.SmallMp4, await response.Content.ReadAsByteArrayAsync(Ct));
        Assert.Single(_kit.Fetcher.Calls);
    }

    [Fact]
    public async Task A_result_url_that_is_not_a_video_falls_back_to_content_and_hands_that_over()
    {
        _fake.Faults.Delivery = FakeDelivery.NotVideo;
        var handle = await SubmitAsync();
        var done = Assert.IsType<UpstreamPoll.Done>(await _provider.PollAsync(handle, Ct));

        using var response = await _provider.OpenResultAsync(handle, done, Ct);

        // Both are HTML here; the finisher's probe refuses it (upstream_result_invalid) rather than retrying.
        Assert.Single(_kit.Fetcher.Calls);
        Assert.Contains(_fake.Requests, r => r.Path.EndsWith("/content", StringComparison.Ordinal));
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_content_redirect_to_a_cdn_is_followed_through_the_guard_without_the_key()
    {
        _fake.Faults.RedirectContent = true;
        var handle = await SubmitAsync();
        var done = Assert.IsType<UpstreamPoll.Done>(await _provider.PollAsync(handle, Ct));

        using var response = await _provider.OpenResultAsync(handle, done, Ct);

        Assert.Equal(FakeMedia.SmallMp4, await response.Content.ReadAsByteArrayAsync(Ct));
        Assert.StartsWith(_fake.FileHostUrl.AbsoluteUri, Assert.Single(_kit.Fetcher.Calls).Url.AbsoluteUri, StringComparison.Ordinal);
        Assert.Null(Assert.Single(_fake.FileHostAuthorizations));
    }

    [Fact]
    public async Task Cancel_posts_cancel()
    {
        Duration(60);
        var handle = await SubmitAsync();

        await _provider.CancelAsync(handle, Ct);

        Assert.True(_fake.IsCancelled(handle.UpstreamId));
        Assert.Equal("upstream_cancelled", Assert.IsType<UpstreamPoll.Failed>(await _provider.PollAsync(handle, Ct)).Code);
    }

    [Fact]
    public async Task Cancel_falls_back_to_delete_where_there_is_no_cancel()
    {
        Duration(60);
        _fake.Faults.SupportsCancel = false;
        var handle = await SubmitAsync();

        await _provider.CancelAsync(handle, Ct);

        Assert.True(_fake.IsDeleted(handle.UpstreamId));
    }

    [Fact]
    public async Task A_cancel_that_cannot_reach_the_upstream_returns_and_leaves_the_job_unknown_not_failed()
    {
        Duration(60);
        var handle = await SubmitAsync();
        _fake.Faults.ResetPoll = true;
        await _fake.DisposeAsync();

        // The user's cancel must not fail because the upstream is down, and nothing may read the job as failed from it.
        await _provider.CancelAsync(handle, Ct);

        Assert.IsType<UpstreamPoll.Transient>(await _provider.PollAsync(handle, Ct));
    }
}
