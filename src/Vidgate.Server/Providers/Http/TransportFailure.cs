using System.Net.Sockets;

namespace Vidgate.Server.Providers.Http;

/// <summary>What went wrong on the way to an upstream, as opposed to what the upstream answered.</summary>
internal enum TransportFailure
{
    /// <summary>Our per-call timeout ran out (the request may have reached the upstream).</summary>
    Timeout,

    /// <summary>Nothing listens there (the request never reached the upstream).</summary>
    ConnectionRefused,

    /// <summary>The connection broke mid-call or the answer ended early (the request may have reached the upstream).</summary>
    ConnectionReset,

    /// <summary>The host name did not resolve.</summary>
    NameResolution,

    /// <summary>Any other network or TLS failure.</summary>
    Other,
}

/// <summary>Sorts exceptions from a call into transport failures (try again or elsewhere) and everything else.</summary>
internal static class Transport
{
    /// <summary>
    /// The kind of transport failure, or null when <paramref name="ex"/> is not one: the caller cancelled
    /// (<paramref name="ct"/>), or a bug that must surface. A cancellation while the caller's token is still live is our
    /// own timeout.
    /// </summary>
    public static TransportFailure? Classify(Exception ex, CancellationToken ct)
    {
        switch (ex)
        {
            case OperationCanceledException when !ct.IsCancellationRequested:
                return TransportFailure.Timeout;
            case OperationCanceledException:
                return null;
            case HttpRequestException http:
                return Socket(http) ?? http.HttpRequestError switch
                {
                    HttpRequestError.NameResolutionError => TransportFailure.NameResolution,
                    HttpRequestError.ResponseEnded => TransportFailure.ConnectionReset,
                    _ => TransportFailure.Other,
                };
            case IOException io:
                return Socket(io) ?? TransportFailure.ConnectionReset;
            case SocketException socket:
                return Socket(socket);
            default:
                return null;
        }
    }

    /// <summary>A short, secret-free description for a task's log line: who, what, and our timeout when that was it.</summary>
    public static string Describe(TransportFailure failure, string upstream, TimeSpan timeout) => failure switch
    {
        TransportFailure.Timeout => $"{upstream} timed out after {timeout.TotalSeconds:0.#} s",
        TransportFailure.ConnectionRefused => $"{upstream} connection failed (connection refused)",
        TransportFailure.ConnectionReset => $"{upstream} connection failed (connection reset)",
        TransportFailure.NameResolution => $"{upstream} connection failed (host name did not resolve)",
        _ => $"{upstream} connection failed",
    };

    private static TransportFailure? Socket(Exception ex)
    {
        for (var inner = ex; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socket)
            {
                return socket.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => TransportFailure.ConnectionRefused,
                    SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown => TransportFailure.ConnectionReset,
                    SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => TransportFailure.NameResolution,
                    SocketError.TimedOut => TransportFailure.Timeout,
                    _ => TransportFailure.Other,
                };
            }
        }

        return null;
    }
}
