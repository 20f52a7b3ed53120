using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Time.Testing;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Billing;

/// <summary>Rate, concurrency and failed-auth limits: 429 with the right code and a Retry-After that is honest.</summary>
public sealed class LimitTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly VidgateApp _app;

    public LimitTests() => _app = new VidgateApp(
        clock: _clock, settings: new() { ["Vidgate:Workers"] = "false", ["Billing:FailedAuthPerMinute"] = "3" });

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task Creates_beyond_the_tier_rate_get_429_with_the_seconds_until_the_next_token()
    {
        await Books.PutTierAsync(_app, "slow", new { requests_per_minute = 3 });
        using var client = await UserOnTierAsync("slow");
        for (var i = 0; i < 3; i++)
        {
            await Api.OkJsonAsync(await client.PostJsonAsync("/v1/videos", Api.SeedBody));
        }

        var limited = await client.PostJsonAsync("/v1/videos", Api.SeedBody);

        var error = await Api.ErrorAsync(limited, HttpStatusCode.TooManyRequests);
        Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());
        Assert.Equal("rate_limit_error", error.GetProperty("type").GetString());
        Assert.Equal(TimeSpan.FromSeconds(20), limited.Headers.RetryAfter?.Delta);

        _clock.Advance(TimeSpan.FromSeconds(19));
        Assert.Equal(TimeSpan.FromSeconds(1), (await client.PostJsonAsync("/v1/videos", Api.SeedBody)).Headers.RetryAfter?.Delta);
        _clock.Advance(TimeSpan.FromSeconds(1));
        await Api.OkJsonAsync(await client.PostJsonAsync("/v1/videos", Api.SeedBody));
    }

    [Fact]
    public async Task Polling_is_not_rate_limited()
    {
        await Books.PutTierAsync(_app, "slow", new { requests_per_minute = 1 });
        using var client = await UserOnTierAsync("slow");
        var id = (await Api.OkJsonAsync(await client.PostJsonAsync("/v1/videos", Api.SeedBody))).GetProperty("id").GetString()!;

        for (var i = 0; i < 20; i++)
        {
            await client.GetVideoAsync(id);
        }
    }

    [Fact]
    public async Task A_key_limit_narrows_its_tier()
    {
        using var admin = _app.Admin();
        var (key, _) = await _app.NewKeyAsync("narrow", new { name = "narrow", requests_per_minute = 1 });
        using var client = _app.Client(key);
        await Api.OkJsonAsync(await client.PostJsonAsync("/v1/videos", Api.SeedBody));

        var limited = await client.PostJsonAsync("/v1/videos", Api.SeedBody);

        await Api.ErrorAsync(limited, HttpStatusCode.TooManyRequests);
        Assert.Equal(TimeSpan.FromSeconds(60), limited.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task Tasks_beyond_the_in_flight_cap_get_429_until_one_finishes()
    {
        await Books.PutTierAsync(_app, "two", new { max_in_flight = 2 });
        using var client = await UserOnTierAsync("two");
        var first = (await Api.OkJsonAsync(await client.PostJsonAsync("/v1/videos", Api.SeedBody))).GetProperty("id").GetString()!;
        await Api.OkJsonAsync(await client.PostJsonAsync("/v1/videos", Api.SeedBody));

        var capped = await client.PostJsonAsync("/v1/videos", Api.SeedBody);
        var error = await Api.ErrorAsync(capped, HttpStatusCode.TooManyRequests);
        Assert.Equal("concurrency_limit_exceeded", error.GetProperty("code").GetString());
        Assert.True(capped.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));

        await Api.OkJsonAsync(await client.PostAsync($"/v1/videos/{first}/cancel", null, Ct));
        await Api.OkJsonAsync(await client.PostJsonAsync("/v1/videos", Api.SeedBody));
    }

    [Fact]
    public async Task Repeated_failed_authentication_from_one_address_gets_429()
    {
        using var stranger = _app.Client("vg_not_a_key");
        // The content route (which authenticates on its own) counts the same failures.
        foreach (var path in new[] { "/v1/videos", "/v1/videos/video_x/content", "/v1/videos" })
        {
            await Api.ErrorAsync(await stranger.GetAsync(path, Ct), HttpStatusCode.Unauthorized);
        }

        var blocked = await stranger.GetAsync("/v1/videos", Ct);

        var error = await Api.ErrorAsync(blocked, HttpStatusCode.TooManyRequests);
        Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());
        Assert.Equal(TimeSpan.FromSeconds(20), blocked.Headers.RetryAfter?.Delta);
        await Api.ErrorAsync(await stranger.GetAsync("/v1/videos/video_x/content", Ct), HttpStatusCode.TooManyRequests);
        _clock.Advance(TimeSpan.FromSeconds(20));
        await Api.ErrorAsync(await stranger.GetAsync("/v1/videos", Ct), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task An_expired_key_gets_401()
    {
        var expires = _clock.GetUtcNow().AddMinutes(1).ToUnixTimeSeconds();
        var (key, _) = await _app.NewKeyAsync("brief", new { name = "brief", expires_at = expires });
        using var client = _app.Client(key);
        await Api.ErrorAsync(await client.GetAsync("/v1/videos/video_x", Ct), HttpStatusCode.NotFound);

        _clock.Advance(TimeSpan.FromMinutes(2));

        var error = await Api.ErrorAsync(await client.GetAsync("/v1/videos/video_x", Ct), HttpStatusCode.Unauthorized);
        Assert.Equal("api_key_expired", error.GetProperty("code").GetString());

        // The content route authenticates on its own (it also takes signed links): the expiry holds there too.
        var content = await Api.ErrorAsync(await client.GetAsync("/v1/videos/video_x/content", Ct), HttpStatusCode.Unauthorized);
        Assert.Equal("api_key_expired", content.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_plan_refuses_models_lengths_and_resolutions_it_does_not_include()
    {
        await Books.PutTierAsync(_app, "small", new { allowed_models = new[] { "grok-imagine-video" }, max_seconds = 6, max_resolution = 480 });
        using var client = await UserOnTierAsync("small");

        var model = await Api.ErrorAsync(await client.PostJsonAsync("/v1/videos", """{"model":"sora-2","prompt":"x","size":"1280x720"}"""), HttpStatusCode.Forbidden);
        var seconds = await Api.ErrorAsync(await client.PostJsonAsync("/v1/videos", """{"model":"grok-imagine-video","prompt":"x","seconds":8,"resolution":"480P"}"""), HttpStatusCode.Forbidden);
        var resolution = await Api.ErrorAsync(await client.PostJsonAsync("/v1/videos", """{"model":"grok-imagine-video","prompt":"x","seconds":6,"resolution":"720P"}"""), HttpStatusCode.Forbidden);

        Assert.Equal(("model_not_allowed", "seconds", "resolution"),
            (model.GetProperty("code").GetString(), seconds.GetProperty("param").GetString(), resolution.GetProperty("param").GetString()));
        await Api.OkJsonAsync(await client.PostJsonAsync("/v1/videos", """{"model":"grok-imagine-video","prompt":"x","seconds":6,"resolution":"480P"}"""));
    }

    private async Task<HttpClient> UserOnTierAsync(string tier)
    {
        var (key, account) = await _app.NewKeyAsync(tier);
        await _app.TopUpAsync(account, 100_000_000);
        await Books.SetTierAsync(_app, account, tier);
        return _app.Client(key);
    }
}
