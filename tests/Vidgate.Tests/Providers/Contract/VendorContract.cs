using System.Net;
using System.Text.Json;
using Vidgate.Fakes;
using Vidgate.Server.Providers;

namespace Vidgate.Tests.Providers.Contract;

/// <summary>
/// The provider contract for a vendor on the provider kit, plus what every vendor adapter must do beyond it: images in
/// the vendor's own form, moderation of the output, a 429 without <c>Retry-After</c>, a result URL that is gone, honest
/// snapping (and refusing under <c>fit: "strict"</c>), and no credential in any log line. A vendor adds itself with a
/// class naming its type, its fake (a <see cref="FakeVendor"/>) and how its wire carries images and lengths.
/// </summary>
/// <param name="services">Replacements for the type's collaborators (Luma's image links), applied as <see cref="ContractKit"/> builds it.</param>
public abstract class VendorContract<TFake>(string type, Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services = null) : ProviderContract
    where TFake : FakeVendor
{
    /// <summary>A PNG signature and a few bytes: the fakes check the form (base64, prefix or not), not the pixels.</summary>
    private protected static readonly UpstreamImage Png = new(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3, 4, 5 }, "image/png");

    private readonly ContractKit _kit = new(type, services);

    private protected TFake Fake { get; private set; } = null!;

    private protected override Uri FakeUrl => Fake.BaseUrl;

    /// <summary>The vendor documents no progress (override where it does).</summary>
    private protected override bool ReportsProgress => false;

    /// <summary>The vendor documents no cancel (override where it does).</summary>
    private protected override bool Cancels => false;

    /// <summary>A length the adapter's default model cannot make, and the one it snaps to.</summary>
    private protected abstract (int Asked, int Snapped) OffGridSeconds { get; }

    /// <summary>A key of the right form that the fake does not know.</summary>
    private protected virtual string WrongKey => "wrong" + ApiKey;

    /// <summary>The secrets a key is made of (Kling: the key and its two halves), none of which may be logged.</summary>
    private protected virtual IEnumerable<string> Secrets => [ApiKey];

    private protected abstract Task<TFake> StartAsync(FakeVendorOptions options);

    /// <summary>The instance's <c>options</c> JSON (fal and Replicate name their models <c>owner/name</c> through <c>model_map</c>).</summary>
    private protected virtual string? InstanceOptions => null;

    /// <summary>The length the fake was asked for, read from the vendor's submit body.</summary>
    private protected abstract int SentSeconds(JsonElement body);

    /// <summary>Asserts the submit body carries <paramref name="image"/> in the vendor's documented form.</summary>
    private protected abstract void AssertImageSent(JsonElement body, UpstreamImage image);

    private protected override async Task StartFakeAsync() => Fake = await StartAsync(
        new FakeVendorOptions { ApiKey = ApiKey, Clock = Clock, JobLength = JobLength, RetryAfter = RetryAfter, EchoKeyInErrors = true });

    private protected override async Task StopAsync()
    {
        await Fake.DisposeAsync();
        _kit.Dispose();
    }

    private protected override IVideoProvider Create(Uri baseUrl, TimeSpan timeout) => _kit.Create(baseUrl, ApiKey, timeout, InstanceOptions);

    private protected override UpstreamJob Arrange(SubmitCase c)
    {
        switch (c)
        {
            case SubmitCase.InvalidInput:
                return Job(prompt: "");
            case SubmitCase.Moderated:
                return Job("a quiet lake [fake:reject]");
            case SubmitCase.RateLimited:
                Fake.FailNextSubmits(VendorFault.RateLimited);
                break;
            case SubmitCase.ServerError:
                Fake.FailNextSubmits(VendorFault.ServerError);
                break;
            case SubmitCase.Hang:
                Fake.FailNextSubmits(VendorFault.Hang);
                break;
            case SubmitCase.Reset:
                Fake.FailNextSubmits(VendorFault.Reset);
                break;
            case SubmitCase.KeyRefused:
                return Job(apiKey: WrongKey);
            case SubmitCase.FailsUpstream:
                return Job("a quiet lake [fake:failed]");
        }

        return Job();
    }

    private protected override void Arrange(PollFault fault) => Fake.FailNextPolls(fault switch
    {
        PollFault.ServerError => VendorFault.ServerError,
        PollFault.RateLimited => VendorFault.RateLimited,
        PollFault.Garbage => VendorFault.Garbage,
        _ => VendorFault.Hang,
    });

    /// <summary>Vendors without progress have nothing to report above 99.</summary>
    private protected override void ReportProgressAbove99()
    {
    }

    private protected override bool StoppedUpstream(string upstreamId) => Fake.Cancelled.ContainsKey(upstreamId);

    [Fact]
    public async Task An_image_job_sends_the_image_in_the_vendors_form_and_its_result_streams()
    {
        var job = UpstreamJobs.Job(UpstreamJobs.Task("the lighthouse turns its beam"), ApiKey, Png);

        var accepted = Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(job, Ct));
        Clock.Advance(JobLength * 2);
        var handle = new UpstreamHandle("up-test", accepted.UpstreamId, 0, ApiKey, accepted.State);
        var done = Assert.IsType<UpstreamPoll.Done>(await Provider.PollAsync(handle, Ct));

        AssertImageSent(Assert.Single(Fake.Submitted), Png);
        using var response = await Provider.OpenResultAsync(handle, done, Ct);
        Assert.Equal(FakeMedia.SmallMp4, await response.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task A_job_whose_output_the_vendor_filters_fails_as_moderation_blocked()
    {
        var accepted = Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(Job("a crowded square [fake:moderation]"), Ct));
        Clock.Advance(JobLength * 2);

        var failed = Assert.IsType<UpstreamPoll.Failed>(await Provider.PollAsync(new UpstreamHandle("up-test", accepted.UpstreamId, 0, ApiKey, accepted.State), Ct));

        Assert.Equal("moderation_blocked", failed.Code);
    }

    [Fact]
    public async Task A_429_without_retry_after_is_unavailable_without_a_wait_and_not_the_keys_fault()
    {
        Fake.FailNextSubmits(VendorFault.RateLimitedBare);

        var unavailable = Assert.IsType<UpstreamSubmit.Unavailable>(await Provider.SubmitAsync(Job(), Ct));

        Assert.Null(unavailable.RetryAfter);
        Assert.False(unavailable.KeyRefused);
    }

    [Fact]
    public async Task A_result_url_that_is_gone_opens_as_a_4xx_for_the_finisher_not_as_an_exception()
    {
        var accepted = Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(Job("an empty beach [fake:result-404]"), Ct));
        Clock.Advance(JobLength * 2);
        var handle = new UpstreamHandle("up-test", accepted.UpstreamId, 0, ApiKey, accepted.State);
        var done = Assert.IsType<UpstreamPoll.Done>(await Provider.PollAsync(handle, Ct));

        using var response = await Provider.OpenResultAsync(handle, done, Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task A_poll_of_a_job_the_vendor_does_not_know_fails_as_not_found()
    {
        var accepted = Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(Job(), Ct));
        var forged = new UpstreamHandle("up-test", accepted.UpstreamId.Replace(accepted.UpstreamId[^4..], "0000", StringComparison.Ordinal), 0, ApiKey, accepted.State);

        Assert.Equal("upstream_not_found", Assert.IsType<UpstreamPoll.Failed>(await Provider.PollAsync(forged, Ct)).Code);
    }

    [Fact]
    public async Task A_length_the_model_cannot_make_is_snapped_to_the_nearest_and_billed_as_delivered()
    {
        var (asked, snapped) = OffGridSeconds;
        var accepted = Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(seconds: asked), ApiKey), Ct));
        Clock.Advance(JobLength * 2);

        var done = Assert.IsType<UpstreamPoll.Done>(await Provider.PollAsync(new UpstreamHandle("up-test", accepted.UpstreamId, 0, ApiKey, accepted.State), Ct));

        Assert.Equal(snapped, SentSeconds(Assert.Single(Fake.Submitted)));
        Assert.Equal(snapped, done.ActualSeconds);
    }

    [Fact]
    public async Task Under_fit_strict_a_length_the_model_cannot_make_is_refused_naming_the_field_and_the_accepted_values()
    {
        var strict = _kit.Create(FakeUrl, ApiKey, TimeSpan.FromSeconds(10), InstanceOptions is { } own ? """{"fit":"strict",""" + own.TrimStart()[1..] : """{"fit":"strict"}""");
        var (asked, snapped) = OffGridSeconds;

        var refused = Assert.IsType<UpstreamSubmit.Rejected>(await strict.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(seconds: asked), ApiKey), Ct));

        Assert.Equal("unsupported_value", refused.Code);
        Assert.Contains("seconds", refused.Message, StringComparison.Ordinal);
        Assert.Contains(snapped.ToString(System.Globalization.CultureInfo.InvariantCulture), refused.Message, StringComparison.Ordinal);
        Assert.Empty(Fake.Requests);
    }

    [Fact]
    public void Options_the_type_does_not_know_or_that_would_replace_the_prompt_are_refused_by_validation()
    {
        Assert.Contains("colour", _kit.Type.Validate(UpstreamJobs.Settings(type, FakeUrl, ApiKey, """{"colour":"red"}""")), StringComparison.Ordinal);
        Assert.Contains("prompt", _kit.Type.Validate(UpstreamJobs.Settings(type, FakeUrl, ApiKey, """{"parameters":{"prompt":"x"}}""")) ?? "prompt not refused", StringComparison.Ordinal);
        Assert.NotNull(_kit.Type.Validate(UpstreamJobs.Settings(type, FakeUrl, ApiKey, """{"fit":"loose"}""")));
        Assert.Null(_kit.Type.Validate(UpstreamJobs.Settings(type, FakeUrl, ApiKey, """{"fit":"strict","model_map":{"m":{"text":"a","image":"b"}}}""")));
    }

    [Fact]
    public async Task No_log_line_carries_a_credential_even_when_the_vendor_echoes_it()
    {
        var failing = Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(Job("a quiet lake [fake:failed]"), Ct));
        Clock.Advance(JobLength * 2);
        await Provider.PollAsync(new UpstreamHandle("up-test", failing.UpstreamId, 0, ApiKey, failing.State), Ct);
        foreach (var c in new[] { SubmitCase.KeyRefused, SubmitCase.InvalidInput, SubmitCase.Moderated, SubmitCase.ServerError, SubmitCase.RateLimited })
        {
            await Provider.SubmitAsync(Arrange(c), Ct);
        }

        await Provider.CancelAsync(new UpstreamHandle("up-test", failing.UpstreamId, 0, ApiKey, failing.State), Ct);

        Assert.NotEmpty(_kit.Logs.Lines);
        Assert.All(_kit.Logs.Lines, line => Assert.All(Secrets, secret => Assert.DoesNotContain(secret, line, StringComparison.Ordinal)));
        Assert.All(_kit.Logs.Lines, line => Assert.DoesNotContain("Bearer ", line, StringComparison.Ordinal));
    }
}
