using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Vidgate.Tests.Proof;

/// <summary>
/// A raw HTTP/1.1 exchange over a socket: the bytes go out exactly as given (no client library fixes a bad header,
/// a lying Content-Length or an invalid path), so Kestrel's own parsing is what answers.
/// </summary>
internal static class FuzzHttp
{
    /// <summary>What came back: the status (0 when the server closed or stalled without a status line) and the body's text.</summary>
    public sealed record Answer(int Status, string Head, string Body, bool TimedOut);

    public static byte[] Request(string method, string target, IEnumerable<(string Name, string Value)> headers, byte[] body, bool contentLength = true)
    {
        var head = new StringBuilder();
        head.Append(method).Append(' ').Append(target).Append(" HTTP/1.1\r\n");
        head.Append("Host: 127.0.0.1\r\nConnection: close\r\n");
        foreach (var (name, value) in headers)
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        if (contentLength && (body.Length > 0 || method is "POST" or "PUT" or "PATCH"))
        {
            head.Append("Content-Length: ").Append(body.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        }

        head.Append("\r\n");
        // Latin-1 keeps every char a single byte, so a non-ASCII header value goes out as the raw byte a fuzzer means.
        return [.. Encoding.Latin1.GetBytes(head.ToString()), .. body];
    }

    public static async Task<Answer> SendAsync(Uri server, byte[] request, TimeSpan timeout, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        using var client = new TcpClient { NoDelay = true };
        var received = new MemoryStream();
        var timedOut = false;
        try
        {
            await client.ConnectAsync(server.Host, server.Port, limit.Token);
            var stream = client.GetStream();
            try
            {
                // No half-close after the request: Kestrel takes a FIN as the client going away and drops the request.
                await stream.WriteAsync(request, limit.Token);
            }
            catch (IOException)
            {
                // The server may answer (413, 431, 400) and close before it read everything: read what it said.
            }

            var buffer = new byte[16 * 1024];
            while (received.Length < 2 * 1024 * 1024)
            {
                var read = await stream.ReadAsync(buffer, limit.Token);
                if (read == 0)
                {
                    break;
                }

                received.Write(buffer, 0, read);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            timedOut = true;
        }
        catch (IOException)
        {
        }
        catch (SocketException)
        {
        }

        return Parse(received.ToArray(), timedOut);
    }

    // Framing is in bytes (chunk sizes count bytes, not chars), so the body is cut and unchunked before it is decoded.
    private static Answer Parse(byte[] bytes, bool timedOut)
    {
        var end = bytes.AsSpan().IndexOf("\r\n\r\n"u8);
        var head = Encoding.Latin1.GetString(bytes, 0, end < 0 ? bytes.Length : end);
        var body = end < 0 ? Array.Empty<byte>() : bytes[(end + 4)..];
        var status = 0;
        if (head.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) && head.Length >= 12)
        {
            _ = int.TryParse(head.AsSpan(9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out status);
        }

        if (head.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            body = Unchunk(body);
        }

        return new Answer(status, head, Encoding.UTF8.GetString(body), timedOut);
    }

    private static byte[] Unchunk(byte[] body)
    {
        var result = new MemoryStream();
        var at = 0;
        while (at < body.Length)
        {
            var line = body.AsSpan(at).IndexOf("\r\n"u8);
            if (line < 0 || !int.TryParse(Encoding.ASCII.GetString(body, at, line), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var size) || size == 0)
            {
                break;
            }

            var start = at + line + 2;
            result.Write(body, start, Math.Min(size, body.Length - start));
            at = start + size + 2;
        }

        return result.ToArray();
    }
}
