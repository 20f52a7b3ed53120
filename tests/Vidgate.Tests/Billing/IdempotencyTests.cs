using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Vidgate.Server.Billing;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Billing;

/// <summary><c>Idempotency-Key</c>: a retried create never makes or pays for a second video.</summary>
public sealed class IdempotencyTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly ScriptedProvider _provider = new();
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly VidgateApp _app;

    public IdempotencyTests() => _app = new VidgateApp(
        clock: _clock, settings: new() { ["Billing:NewAccountCredit"] = "0" }, services: ScriptedProvider.Replace(_provider));

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task Same_key_and_body_returns_the_original_task_and_holds_once()
    {
        var (client, account) = await UserAsync();

        var first = await Api.OkJsonAsync(await PostAsync(client, "/v1/videos", Api.SeedBody, "retry-1"));
        var second = await Api.OkJsonAsync(await PostAsync(client, "/v1/videos", Api.SeedBody, "retry-1"));

        Assert.Equal(first.GetProperty("id").GetString(), second.GetProperty("id").GetString());
        await AssertOneVideoPaidAsync(client, account);
    }

    [Fact]
    public async Task Same_key_with_a_different_body_is_a_409()
    {
        var (client, _) = await UserAsync();
        await Api.OkJsonAsync(await PostAsync(client, "/v1/videos", Api.SeedBody, "k"));

        var response = await PostAsync(client, "/v1/videos", Api.SeedBody.Replace("\"8\"", "\"9\"", StringComparison.Ordinal), "k");

        var error = await Api.ErrorAsync(response, HttpStatusCode.Conflict);
        Assert.Equal("idempotency_key_reused", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Concurrent_duplicates_create_exactly_one_task()
    {
        var (client, account) = await UserAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => PostAsync(client, "/v1/videos", Api.SeedBody, "storm")));

        var ids = new HashSet<string>();
        foreach (var response in responses)
        {
            ids.Add((await Api.OkJsonAsync(response)).GetProperty("id").GetString()!);
        }

        Assert.Single(ids);
        var list = await Api.OkJsonAsync(await client.GetAsync("/v1/videos?limit=100", Ct));
        Assert.Single(list.GetProperty("data").EnumerateArray());
        await AssertOneVideoPaidAsync(client, account);
    }

    [Fact]
    public async Task A_multipart_retry_with_a_new_boundary_is_the_same_request()
    {
        var (client, _) = await UserAsync();

        var ids = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            using var form = new MultipartFormDataContent($"boundary-{i}")
            {
                { new StringContent("sora-2"), "model" },
                { new StringContent("a lighthouse at dusk"), "prompt" },
                { new StringContent("4"), "seconds" },
            };
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/videos") { Content = form };
            request.Headers.Add("Idempotency-Key", "multipart-1");
            ids.Add((await Api.OkJsonAsync(await client.SendAsync(request, Ct))).GetProperty("id").GetString()!);
        }

        Assert.Equal(ids[0], ids[1]);
    }

    [Fact]
    public async Task The_xai_and_remix_creates_honour_the_key_too()
    {
        var (client, _) = await UserAsync();
        const string xai = """{"model":"grok-imagine-video","prompt":"a kite","duration":3,"resolution":"480p"}""";
        var a = await Api.OkJsonAsync(await PostAsync(client, "/v1/videos/generations", xai, "xai-1"));
        var b = await Api.OkJsonAsync(await PostAsync(client, "/v1/videos/generations", xai, "xai-1"));
        Assert.Equal(a.GetProperty("request_id").GetString(), b.GetProperty("request_id").GetString());

        var source = a.GetProperty("request_id").GetString()!;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await client.GetVideoAsync(source)).GetProperty("status").GetString() != "done")
        {
            Assert.True(DateTime.UtcNow < deadline, "the xAI task never finished");
            await Task.Delay(20, Ct);
        }

        var r1 = await Api.OkJsonAsync(await PostAsync(client, $"/v1/videos/{source}/remix", """{"prompt":"at night"}""", "remix-1"));
        var r2 = await Api.OkJsonAsync(await PostAsync(client, $"/v1/videos/{source}/remix", """{"prompt":"at night"}""", "remix-1"));
        var other = await PostAsync(client, $"/v1/videos/{source}/remix", """{"prompt":"at dawn"}""", "remix-1");

        Assert.Equal(r1.GetProperty("id").GetString(), r2.GetProperty("id").GetString());
        await Api.ErrorAsync(other, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task An_exhausted_balance_may_still_reattach_to_its_task()
    {
        var (key, account) = await _app.NewKeyAsync("poor");
        using var client = _app.Client(key);
        await _app.TopUpAsync(account, 560_001);
        var first = await Api.OkJsonAsync(await PostAsync(client, "/v1/videos", Api.SeedBody, "only-one"));

        var another = await PostAsync(client, "/v1/videos", Api.SeedBody, "a-second-one");
        var retry = await PostAsync(client, "/v1/videos", Api.SeedBody, "only-one");

        var error = await Api.ErrorAsync(another, HttpStatusCode.PaymentRequired);
        Assert.Equal("insufficient_quota", error.GetProperty("type").GetString());
        Assert.Contains("0.560000", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("0.000001", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(first.GetProperty("id").GetString(), (await Api.OkJsonAsync(retry)).GetProperty("id").GetString());
    }

    [Fact]
    public async Task Keys_are_forgotten_after_24_hours()
    {
        var (client, _) = await UserAsync();
        var first = await Api.OkJsonAsync(await PostAsync(client, "/v1/videos", Api.SeedBody, "old"));

        var kept = await Api.OkJsonAsync(await PostAsync(client, "/v1/videos", Api.SeedBody, "old"));
        _clock.Advance(TimeSpan.FromHours(25));

        // The hourly sweep may already have fired on the advanced clock; sweeping again is harmless.
        await _app.Services.GetServices<IHostedService>().OfType<IdempotencySweeper>().Single().SweepOnceAsync(Ct);
        var again = await Api.OkJsonAsync(await PostAsync(client, "/v1/videos", Api.SeedBody, "old"));

        Assert.Equal(first.GetProperty("id").GetString(), kept.GetProperty("id").GetString());
        Assert.NotEqual(first.GetProperty("id").GetString(), again.GetProperty("id").GetString());
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("é")]
    public async Task A_malformed_key_is_a_400(string key)
    {
        var (client, _) = await UserAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/videos") { Content = new StringContent(Api.SeedBody, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);

        var error = await Api.ErrorAsync(await client.SendAsync(request, Ct), HttpStatusCode.BadRequest);

        Assert.Equal("invalid_idempotency_key", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_key_longer_than_255_characters_is_a_400()
    {
        var (client, _) = await UserAsync();
        var error = await Api.ErrorAsync(await PostAsync(client, "/v1/videos", Api.SeedBody, new string('k', 256)), HttpStatusCode.BadRequest);
        Assert.Equal("Idempotency-Key", error.GetProperty("param").GetString());
    }

    /// <summary>One task in the usage, and once it is done, the price of one seed video charged.</summary>
    private async Task AssertOneVideoPaidAsync(HttpClient client, string account)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await Books.ReadAsync(_app, account)).InFlight > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the video never finished");
            await Task.Delay(20, Ct);
        }

        var usage = await Api.OkJsonAsync(await client.GetAsync("/v1/usage", Ct));
        Assert.Equal(1, usage.GetProperty("data").EnumerateArray().Sum(r => r.GetProperty("tasks").GetInt32()));
        Assert.Equal(-560_000, (await Books.LedgerAsync(_app, account))["charge"]);
    }

    private async Task<(HttpClient Client, string Account)> UserAsync()
    {
        var (key, account) = await _app.NewKeyAsync();
        await _app.TopUpAsync(account, 100_000_000);
        return (_app.Client(key), account);
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string json, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        return await client.SendAsync(request, Ct);
    }
}
