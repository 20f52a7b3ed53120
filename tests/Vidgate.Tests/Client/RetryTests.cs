using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Vidgate.Client;
using Vidgate.Contracts;

namespace Vidgate.Tests.Client;

/// <summary>
/// 429 and 503 are retried after <c>Retry-After</c> only for calls that cannot do anything twice, on the client's
/// clock; everything else is handed to the caller at once as a <see cref="VidgateException"/>.
/// </summary>
public sealed class RetryTests
{
    private const string Id = "video_0000000000000000000000000002";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_read_answered_429_waits_for_retry_after_on_the_clients_clock_then_succeeds()
    {
        var calls = 0;
        await using var server = await ScriptedServer.StartAsync(app => app.MapGet("/v1/videos/{id}", (HttpContext http) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                http.Response.Headers.RetryAfter = "30";
                return Error(429, "rate_limit_error", "rate_limited");
            }

            return Results.Json(Video(), ContractsJson.Wire.SeedVideo);
        }));
        var clock = new WatchedClock();

        var get = server.Client(o => o.TimeProvider = clock).GetAsync(Id, Ct);
        while (Volatile.Read(ref calls) == 0 || clock.Timers == 0)
        {
            await Task.Delay(10, Ct);
        }

        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.False(get.IsCompleted, "retried before Retry-After had passed");
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(Id, (await get).Id);
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task Retries_stop_after_max_retries_and_the_last_answer_is_the_error()
    {
        var calls = 0;
        await using var server = await ScriptedServer.StartAsync(app => app.MapGet("/v1/models", (HttpContext http) =>
        {
            Interlocked.Increment(ref calls);
            http.Response.Headers.RetryAfter = "0";
            return Error(503, "server_error", "overloaded");
        }));

        var error = await Assert.ThrowsAsync<VidgateException>(() => server.Client(o => o.MaxRetries = 2).ListModelsAsync(Ct));

        Assert.Equal(503, error.Status);
        Assert.Equal("overloaded", error.Code);
        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task A_cancel_or_an_admin_top_up_answered_503_is_not_repeated()
    {
        var calls = 0;
        await using var server = await ScriptedServer.StartAsync(app =>
        {
            app.MapPost("/v1/videos/{id}/cancel", (HttpContext http) =>
            {
                Interlocked.Increment(ref calls);
                http.Response.Headers.RetryAfter = "0";
                return Error(503, "server_error", "overloaded");
            });
            app.MapPost("/admin/accounts/{id}/top-up", (HttpContext http) =>
            {
                Interlocked.Increment(ref calls);
                http.Response.Headers.RetryAfter = "0";
                return Error(503, "server_error", "overloaded");
            });
        });
        var client = server.Client();

        Assert.Equal(503, (await Assert.ThrowsAsync<VidgateException>(() => client.CancelAsync(Id, Ct))).Status);
        Assert.Equal(503, (await Assert.ThrowsAsync<VidgateException>(() => client.TopUpAsync("acct_x", 1_000_000, "r", Ct))).Status);
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task An_answer_that_is_not_the_error_envelope_is_still_a_vidgate_exception()
    {
        await using var server = await ScriptedServer.StartAsync(app =>
        {
            app.MapGet("/v1/videos/{id}", () => Results.Content("<html>502 Bad Gateway</html>", "text/html", statusCode: 502));
            app.MapGet("/v1/models", () => Results.Content("not json", "application/json"));
        });
        var client = server.Client();

        var gateway = await Assert.ThrowsAsync<VidgateException>(() => client.GetAsync(Id, Ct));
        Assert.Equal(502, gateway.Status);
        Assert.Equal("http_error", gateway.Type);
        Assert.Contains("502 Bad Gateway", gateway.Message, StringComparison.Ordinal);

        var garbled = await Assert.ThrowsAsync<VidgateException>(() => client.ListModelsAsync(Ct));
        Assert.Equal("invalid_response", garbled.Type);
    }

    /// <summary>A fake clock that counts the timers made on it: a pending retry delay is one.</summary>
    private sealed class WatchedClock : FakeTimeProvider
    {
        private int _timers;

        public int Timers => Volatile.Read(ref _timers);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Interlocked.Increment(ref _timers);
            return base.CreateTimer(callback, state, dueTime, period);
        }
    }

    private static IResult Error(int status, string type, string code)
        => Results.Json(new ErrorBody(new ErrorDetail("try later", type, null, code)), ContractsJson.Wire.ErrorBody, statusCode: status);

    private static SeedVideo Video() => new(Id, "video", "grok-imagine-video", "queued", 0, 1_700_000_000, null, null, "6", "720P", "16:9", "", null);
}
