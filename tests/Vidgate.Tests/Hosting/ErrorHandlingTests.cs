using Microsoft.AspNetCore.Http;
using Npgsql;
using Vidgate.Server.Kernel;

namespace Vidgate.Tests.Hosting;

/// <summary>
/// What the last line of defence answers: a database that did not answer in time (any engine's transient error, or a
/// timeout) is a 503 with Retry-After that a client may repeat, never a 500; anything else unknown stays a 500.
/// </summary>
public sealed class ErrorHandlingTests
{
    [Fact]
    public void A_database_timeout_or_broken_connection_is_a_503_with_retry_after()
    {
        foreach (var exception in new Exception[]
        {
            new NpgsqlException("Exception while reading from stream", new TimeoutException("Timeout during reading attempt")),
            new NpgsqlException("Exception while writing to stream", new System.IO.IOException("broken pipe")),
            new TimeoutException("the pool had no connection"),
        })
        {
            var error = ErrorHandling.Describe(exception, clientLeft: false)!;
            Assert.Equal((503, "database_unavailable"), (error.Status, error.Code));
            Assert.Equal(2, error.RetryAfter);
            Assert.DoesNotContain("stream", error.Message, StringComparison.Ordinal); // no internals
        }
    }

    [Fact]
    public void Other_failures_stay_500_and_request_errors_keep_their_4xx()
    {
        Assert.Equal(500, ErrorHandling.Describe(new InvalidOperationException("bug"), clientLeft: false)!.Status);
        Assert.Equal(500, ErrorHandling.Describe(new NpgsqlException("syntax error"), clientLeft: false)!.Status); // not transient
        Assert.Equal(413, ErrorHandling.Describe(new BadHttpRequestException("too large", 413), clientLeft: false)!.Status);
        Assert.Null(ErrorHandling.Describe(new OperationCanceledException(), clientLeft: true));
    }
}
