using System.Net;

namespace Vidgate.Server.Providers.Http;

/// <summary>
/// Tells whether a submit's body was handed whole to the connection, so that a failure afterwards is known to be
/// ambiguous (the upstream may have made the job) and one before it is not (nothing could have been made).
/// </summary>
internal sealed class SentMark : HttpContent
{
    private readonly HttpContent _inner;

    private SentMark(HttpContent inner)
    {
        _inner = inner;
        foreach (var header in inner.Headers)
        {
            Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
    }

    /// <summary>True once the whole body was written to the connection.</summary>
    public bool Sent { get; private set; }

    /// <summary>Wraps the request's body; a bodiless request is taken as sent (its headers are all of it).</summary>
    public static SentMark Wrap(HttpRequestMessage request)
    {
        if (request.Content is null)
        {
            return new SentMark(new ByteArrayContent([])) { Sent = true };
        }

        var mark = new SentMark(request.Content);
        request.Content = mark;
        return mark;
    }

    /// <summary>A transport failure after the body went out that may have left the job made upstream.</summary>
    public static bool MayHaveArrived(TransportFailure? failure)
        => failure is TransportFailure.Timeout or TransportFailure.ConnectionReset or TransportFailure.Other;

    /// <summary>
    /// A 5xx whose answer is not the upstream's own word: a gateway that lost it (502, 504) or an empty body. A 500 or
    /// 503 with an error body is the upstream saying it failed, and a 429 is a refusal before any work.
    /// </summary>
    public static bool LostAnswer(UpstreamReply reply)
        => reply.Status is HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout
           || (reply.Code >= 500 && string.IsNullOrWhiteSpace(reply.Text));

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        => await SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        await _inner.CopyToAsync(stream, context, cancellationToken);
        Sent = true;
    }

    protected override bool TryComputeLength(out long length)
    {
        if (_inner.Headers.ContentLength is { } known)
        {
            length = known;
            return true;
        }

        length = 0;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
