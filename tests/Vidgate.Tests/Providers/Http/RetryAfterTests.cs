using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Time.Testing;
using Vidgate.Server.Providers.Http;

namespace Vidgate.Tests.Providers.Http;

public sealed class RetryAfterTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 10, 0, 0, TimeSpan.Zero);

    private static HttpResponseHeaders Headers(string? raw)
    {
        var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        if (raw is not null)
        {
            response.Headers.TryAddWithoutValidation("Retry-After", raw);
        }

        return response.Headers;
    }

    [Theory]
    [InlineData("7", 7.0)]
    [InlineData("1.5", 1.5)]
    [InlineData("Sun, 06 Dec 2026 10:00:30 GMT", 30.0)]
    [InlineData("Sun, 06 Dec 2026 11:00:00 GMT", 600.0)]
    [InlineData("86400", 600.0)]
    [InlineData("1e300", 600.0)]
    public void Seconds_and_dates_become_a_wait_of_at_most_ten_minutes(string header, double seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), RetryAfter.Parse(Headers(header), Now));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("soon")]
    [InlineData("NaN")]
    [InlineData("Sun, 06 Dec 2026 09:59:00 GMT")]
    public void Absent_unreadable_zero_and_past_values_mean_no_wait(string? header)
    {
        Assert.Null(RetryAfter.Parse(Headers(header), Now));
    }

    [Fact]
    public async Task A_date_is_measured_from_the_injected_clock()
    {
        var clock = new FakeTimeProvider(Now);
        using var http = new HttpClient(new Answer(_ =>
        {
            var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests) { Content = new StringContent("{}") };
            response.Headers.RetryAfter = new RetryConditionHeaderValue(Now.AddSeconds(45));
            return response;
        }));
        var client = new UpstreamClient(http, UpstreamJobs.Settings("xai", new Uri("http://upstream.test"), "key-12345678"), "test", UpstreamAuth.Bearer, clock);
        clock.Advance(TimeSpan.FromSeconds(15));

        using var request = new HttpRequestMessage(HttpMethod.Get, "http://upstream.test/x");
        var reply = await client.CallAsync(request, "key-12345678", TestContext.Current.CancellationToken);

        Assert.Equal(TimeSpan.FromSeconds(30), reply.RetryAfter);
    }
}

/// <summary>An <see cref="HttpMessageHandler"/> that answers (or throws) without a network.</summary>
internal sealed class Answer(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
{
    public List<HttpRequestMessage> Requests { get; } = [];

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Requests.Add(request);
        return Task.FromResult(answer(request));
    }
}
