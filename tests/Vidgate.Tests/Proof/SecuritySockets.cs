using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Vidgate.Tests.Proof;

/// <summary>
/// A listener that counts connections (and, given an answer, sends it to each): on all addresses, IPv4 and IPv6, it is
/// the proof that an SSRF target was never even dialled; on 127.0.0.2 it plays the allowed host that redirects.
/// </summary>
internal sealed class Canary : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _connections;

    private Canary(TcpListener listener, string? answer)
    {
        _listener = listener;
        _loop = AcceptAsync(answer);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Connections => Volatile.Read(ref _connections);

    public static Canary Start(IPAddress? address = null, string? answer = null)
    {
        var listener = new TcpListener(address ?? IPAddress.IPv6Any, 0);
        if (address is null)
        {
            listener.Server.DualMode = true;
        }

        listener.Start();
        return new Canary(listener, answer);
    }

    private async Task AcceptAsync(string? answer)
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                Interlocked.Increment(ref _connections);
                if (answer is not null)
                {
                    var stream = client.GetStream();
                    var buffer = new byte[8192];
                    _ = await stream.ReadAsync(buffer, _stop.Token);
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(answer), _stop.Token);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
        }
        catch (IOException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }
}

/// <summary>A slow client: sends a head, then one small piece a second until the server hangs up or it gives up.</summary>
internal static class SlowLoris
{
    /// <returns>Whether the server cut the connection before <paramref name="giveUp"/>, and after how many seconds.</returns>
    public static async Task<(bool Cut, double Seconds)> TrickleAsync(Uri server, string head, string piece, TimeSpan giveUp, CancellationToken ct)
    {
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(server.Host, server.Port, ct);
        var stream = client.GetStream();
        var started = Stopwatch.StartNew();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), ct);
        var buffer = new byte[4096];
        var reading = stream.ReadAsync(buffer, ct).AsTask();
        while (started.Elapsed < giveUp)
        {
            if (await Task.WhenAny(reading, Task.Delay(1000, ct)) == reading)
            {
                // Closed (0 bytes), or an answer such as 408: either way the server stopped waiting for us.
                return (true, started.Elapsed.TotalSeconds);
            }

            try
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes(piece), ct);
            }
            catch (IOException)
            {
                return (true, started.Elapsed.TotalSeconds);
            }
        }

        return (false, started.Elapsed.TotalSeconds);
    }
}
