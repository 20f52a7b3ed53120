using System.Text;
using System.Text.Json;
using Vidgate.Fakes;
using Vidgate.Server.Providers;

namespace Vidgate.Tests.Providers.Contract;

/// <summary>The vendor contract for <c>kling</c> against <see cref="FakeKling"/> (keys are <c>"access|secret"</c>).</summary>
public sealed class KlingProviderContractTests() : VendorContract<FakeKling>("kling")
{
    private readonly string _access = "plainaccess" + Guid.NewGuid().ToString("N");
    private readonly string _secret = "plainsecret" + Guid.NewGuid().ToString("N");

    private protected override string ApiKey => _access + "|" + _secret;

    private protected override string WrongKey => "wrong" + _access + "|" + _secret;

    private protected override IEnumerable<string> Secrets => [ApiKey, _access, _secret];

    /// <summary>Kling's query path takes our task id, sent as <c>external_task_id</c>.</summary>
    private protected override bool LooksUp => true;

    /// <summary>Kling's models make 5 or 10 s (except v3): 7 s is nearer 5.</summary>
    private protected override (int Asked, int Snapped) OffGridSeconds => (7, 5);

    private protected override Task<FakeKling> StartAsync(FakeVendorOptions options) => FakeKling.StartAsync(options, ct: Ct);

    private protected override int SentSeconds(JsonElement body) => int.Parse(body.GetProperty("duration").GetString()!, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Raw base64 without a <c>data:</c> prefix, on <c>image2video</c> (which has no <c>aspect_ratio</c>).</summary>
    private protected override void AssertImageSent(JsonElement body, UpstreamImage image)
    {
        Assert.Equal(Convert.ToBase64String(image.Bytes.Span), body.GetProperty("image").GetString());
        Assert.False(body.TryGetProperty("aspect_ratio", out _));
        Assert.Contains(Fake.Requests, r => r.Method == "POST" && r.Path == "/v1/videos/image2video");
    }

    [Fact]
    public async Task The_key_never_travels_only_a_signed_hs256_token_naming_the_access_key()
    {
        Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(Job(), Ct));

        var header = Assert.Single(Fake.Requests).Headers["authorization"];
        Assert.StartsWith("Bearer ", header, StringComparison.Ordinal);
        Assert.DoesNotContain(_secret, header, StringComparison.Ordinal);
        var parts = header["Bearer ".Length..].Split('.');
        Assert.Equal("""{"alg":"HS256","typ":"JWT"}""", Decode(parts[0]));
        using var claims = JsonDocument.Parse(Decode(parts[1]));
        Assert.Equal(_access, claims.RootElement.GetProperty("iss").GetString());
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.InRange(claims.RootElement.GetProperty("exp").GetInt64() - now, 1500, 1800);
        Assert.InRange(now - claims.RootElement.GetProperty("nbf").GetInt64(), 5, 65);
    }

    [Fact]
    public async Task A_text_job_posts_text2video_with_a_string_duration_the_ratio_and_std_mode_and_polls_that_family()
    {
        var accepted = Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(seconds: 10), ApiKey) with { UpstreamModel = "kling-v1-6" }, Ct));
        await Provider.PollAsync(new UpstreamHandle("up-test", accepted.UpstreamId, 0, ApiKey, accepted.State), Ct);

        var body = Assert.Single(Fake.Submitted);
        Assert.Equal("kling-v1-6", body.GetProperty("model_name").GetString());
        Assert.Equal("10", body.GetProperty("duration").GetString());
        Assert.Equal("16:9", body.GetProperty("aspect_ratio").GetString());
        Assert.Equal("std", body.GetProperty("mode").GetString());
        Assert.Contains(Fake.Requests, r => r.Method == "GET" && r.Path == "/v1/videos/text2video/" + accepted.UpstreamId);
    }

    [Fact]
    public async Task A_token_signed_with_the_wrong_secret_marks_the_key_bad()
    {
        var unavailable = Assert.IsType<UpstreamSubmit.Unavailable>(await Provider.SubmitAsync(Job(apiKey: _access + "|not-the-secret"), Ct));

        Assert.True(unavailable.KeyRefused);
    }

    [Fact]
    public async Task An_account_out_of_credit_answers_429_1102_yet_is_the_keys_fault_not_a_rate_limit()
    {
        Fake.OutOfCredit = true;

        var unavailable = Assert.IsType<UpstreamSubmit.Unavailable>(await Provider.SubmitAsync(Job(), Ct));

        Assert.True(unavailable.KeyRefused);
        Assert.Null(unavailable.RetryAfter);
    }

    [Fact]
    public async Task An_image_job_is_found_in_its_own_family_and_a_resend_after_a_lost_answer_is_refused_as_a_duplicate()
    {
        var job = UpstreamJobs.Job(UpstreamJobs.Task(), ApiKey, Png);
        var accepted = Assert.IsType<UpstreamSubmit.Accepted>(await Provider.SubmitAsync(job, Ct));

        var found = Assert.IsType<UpstreamLookup.Found>(await Provider.FindAsync(job.IdempotencyKey, ApiKey, Ct));
        var again = await Provider.SubmitAsync(job, Ct);

        Assert.Equal((accepted.UpstreamId, "image2video"), (found.UpstreamId, found.State));
        Assert.Equal("upstream_rejected", Assert.IsType<UpstreamSubmit.Rejected>(again).Code);
        Assert.Single(Fake.Jobs);
    }

    [Fact]
    public async Task Three_images_are_refused_before_anything_is_sent()
    {
        var refused = Assert.IsType<UpstreamSubmit.Rejected>(await Provider.SubmitAsync(UpstreamJobs.Job(UpstreamJobs.Task(), ApiKey, Png, Png, Png), Ct));

        Assert.Equal("unsupported_value", refused.Code);
        Assert.Empty(Fake.Requests);
    }

    private static string Decode(string part)
    {
        var padded = part.Replace('-', '+').Replace('_', '/');
        return Encoding.UTF8.GetString(Convert.FromBase64String(padded + new string('=', (4 - padded.Length % 4) % 4)));
    }
}
