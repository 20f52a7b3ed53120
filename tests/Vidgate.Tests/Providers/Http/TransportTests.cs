using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using Vidgate.Server.Providers;
using Vidgate.Server.Providers.Http;

namespace Vidgate.Tests.Providers.Http;

/// <summary>What goes wrong on the way to an upstream becomes a described failure; the caller's own cancellation does not.</summary>
public sealed class TransportTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static UpstreamSettings Settings(Uri baseUrl, TimeSpan? timeout = null) => UpstreamJobs.Settings("xai", baseUrl, "key-12345678", timeout: timeout);

    [Fact]
    public async Task A_closed_port_is_connection_refused()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var http = new HttpClient();

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => http.GetAsync($"http://127.0.0.1:{port}/", Ct));

        Assert.Equal(TransportFailure.ConnectionRefused, Transport.Classify(ex, Ct));
    }

    [Fact]
    public async Task A_connection_dropped_before_the_answer_is_a_reset()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync(Ct);
            var buffer = new byte[4096];
            _ = await socket.ReceiveAsync(buffer, Ct);
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }, Ct);
        using var http = new HttpClient();

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => http.GetAsync($"http://127.0.0.1:{port}/", Ct));
        await server;

        Assert.Equal(TransportFailure.ConnectionReset, Transport.Classify(ex, Ct));
    }

    [Theory]
    [InlineData(HttpRequestError.NameResolutionError, nameof(TransportFailure.NameResolution))]
    [InlineData(HttpRequestError.ResponseEnded, nameof(TransportFailure.ConnectionReset))]
    [InlineData(HttpRequestError.SecureConnectionError, nameof(TransportFailure.Other))]
    public void Http_request_errors_are_sorted_by_kind(HttpRequestError error, string expected)
    {
        Assert.Equal(Enum.Parse<TransportFailure>(expected), Transport.Classify(new HttpRequestException(error, "failed"), Ct));
    }

    [Theory]
    [InlineData(SocketError.ConnectionRefused, nameof(TransportFailure.ConnectionRefused))]
    [InlineData(SocketError.ConnectionReset, nameof(TransportFailure.ConnectionReset))]
    [InlineData(SocketError.HostNotFound, nameof(TransportFailure.NameResolution))]
    [InlineData(SocketError.TimedOut, nameof(TransportFailure.Timeout))]
    public void Socket_errors_inside_an_http_or_io_failure_are_sorted_by_kind(SocketError error, string expected)
    {
        Assert.Equal(Enum.Parse<TransportFailure>(expected), Transport.Classify(new HttpRequestException("failed", new SocketException((int)error)), Ct));
        Assert.Equal(Enum.Parse<TransportFailure>(expected), Transport.Classify(new IOException("failed", new SocketException((int)error)), Ct));
    }

    [Fact]
    public void The_callers_own_cancellation_and_bugs_are_not_transport_failures()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.Null(Transport.Classify(new OperationCanceledException(cancelled.Token), cancelled.Token));
        Assert.Null(Transport.Classify(new InvalidOperationException("bug"), Ct));
        Assert.Equal(TransportFailure.Timeout, Transport.Classify(new TaskCanceledException(), Ct));
    }

    [Fact]
    public async Task The_per_call_timeout_runs_on_the_injected_clock_and_is_described_as_one()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var http = new HttpClient(new Hang());
        var client = new UpstreamClient(http, Settings(new Uri("http://upstream.test"), TimeSpan.FromSeconds(20)), "xAI", UpstreamAuth.Bearer, clock);
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://upstream.test/v1/videos/x");

        var call = client.CallAsync(request, "key-12345678", Ct);
        await Task.Delay(50, Ct);
        Assert.False(call.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(20));
        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);

        Assert.Equal("xAI timed out after 20 s", client.Fail(ex, Ct));
    }

    [Theory]
    [InlineData("bearer", "Authorization", "Bearer key-12345678")]
    [InlineData("scheme", "Authorization", "Key key-12345678")]
    [InlineData("header", "x-goog-api-key", "key-12345678")]
    public async Task The_key_travels_in_the_header_the_upstream_expects(string kind, string header, string value)
    {
        var auth = kind switch
        {
            "bearer" => UpstreamAuth.Bearer,
            "scheme" => UpstreamAuth.WithScheme("Key"),
            _ => UpstreamAuth.InHeader("x-goog-api-key"),
        };
        var handler = new Answer(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("""{"ok":true}""") });
        using var http = new HttpClient(handler);
        var client = new UpstreamClient(http, Settings(new Uri("http://upstream.test")), "test", auth, TimeProvider.System);
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://upstream.test/");

        var reply = await client.CallAsync(request, "key-12345678", Ct);

        Assert.True(reply.IsSuccess);
        Assert.Equal(value, string.Join(",", Assert.Single(handler.Requests).Headers.GetValues(header)));
    }

    [Fact]
    public async Task An_empty_key_sends_no_credentials()
    {
        var handler = new Answer(_ => new HttpResponseMessage(HttpStatusCode.OK));
        using var http = new HttpClient(handler);
        var client = new UpstreamClient(http, Settings(new Uri("http://upstream.test")), "test", UpstreamAuth.Bearer, TimeProvider.System);
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://upstream.test/");

        await client.CallAsync(request, "", Ct);

        Assert.Null(Assert.Single(handler.Requests).Headers.Authorization);
    }

    /// <summary>Never answers: only cancellation ends the call.</summary>
    private sealed class Hang : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new UnreachableException();
        }
    }
}
