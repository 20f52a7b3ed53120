using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using Vidgate.Server.Providers.Http;

namespace Vidgate.Tests.Providers.Http;

/// <summary>What makes a lost submit answer ambiguous: the body went out whole, or an answer that is not the upstream's own word.</summary>
public sealed class SentMarkTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_refused_connection_sent_nothing()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}/v1/videos") { Content = JsonContent.Create(new { prompt = "a harbour" }) };
        var mark = SentMark.Wrap(request);

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.SendAsync(request, Ct));
        Assert.False(mark.Sent);
    }

    [Fact]
    public async Task A_connection_dropped_after_the_whole_body_arrived_was_sent_and_the_body_went_out_unchanged()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var received = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync(Ct);
            var text = new StringBuilder();
            var buffer = new byte[4096];
            // JsonContent has no length up front: the body comes chunked and ends with the empty chunk.
            while (!text.ToString().EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal))
            {
                var read = await socket.ReceiveAsync(buffer, Ct);
                if (read == 0)
                {
                    break;
                }

                text.Append(Encoding.UTF8.GetString(buffer, 0, read));
            }

            // The upstream has it all, and then the connection is gone without an answer.
            socket.LingerState = new LingerOption(true, 0);
            return text.ToString();
        }, Ct);
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}/v1/videos") { Content = JsonContent.Create(new { prompt = "a harbour" }) };
        var mark = SentMark.Wrap(request);

        var ex = await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.SendAsync(request, Ct));
        var wire = await received;

        Assert.True(mark.Sent);
        Assert.True(SentMark.MayHaveArrived(Transport.Classify(ex, Ct)));
        Assert.Contains("Content-Type: application/json; charset=utf-8", wire, StringComparison.Ordinal);
        Assert.Contains("Transfer-Encoding: chunked", wire, StringComparison.Ordinal);
        Assert.Contains("""{"prompt":"a harbour"}""", wire, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(HttpStatusCode.BadGateway, "<html>bad gateway</html>", true)]
    [InlineData(HttpStatusCode.GatewayTimeout, "", true)]
    [InlineData(HttpStatusCode.InternalServerError, "", true)]
    [InlineData(HttpStatusCode.InternalServerError, """{"error":"internal_error"}""", false)]
    [InlineData(HttpStatusCode.ServiceUnavailable, """{"error":"overloaded"}""", false)]
    [InlineData(HttpStatusCode.TooManyRequests, "", false)]
    public void Only_an_answer_that_is_not_the_upstream_s_own_word_is_a_lost_one(HttpStatusCode status, string body, bool lost)
        => Assert.Equal(lost, SentMark.LostAnswer(new UpstreamReply(status, body, null, null)));

    [Theory]
    [InlineData(nameof(TransportFailure.Timeout), true)]
    [InlineData(nameof(TransportFailure.ConnectionReset), true)]
    [InlineData(nameof(TransportFailure.Other), true)]
    [InlineData(nameof(TransportFailure.ConnectionRefused), false)]
    [InlineData(nameof(TransportFailure.NameResolution), false)]
    public void Only_failures_that_can_follow_a_delivered_request_may_have_arrived(string failure, bool may)
        => Assert.Equal(may, SentMark.MayHaveArrived(Enum.Parse<TransportFailure>(failure)));
}
