using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;

namespace Vidgate.Tests.Webhooks;

/// <summary>
/// A real webhook receiver on loopback (<see cref="HttpListener"/>): records every POST with its headers and exact body
/// bytes, and answers each with the next scripted status code (200 once the script is used up).
/// </summary>
internal sealed class Receiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Channel<Delivery> _received = Channel.CreateUnbounded<Delivery>();
    private readonly ConcurrentQueue<int> _answers = new();

    public Receiver(params int[] answers)
    {
        foreach (var answer in answers)
        {
            _answers.Enqueue(answer);
        }

        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _ = Task.Run(LoopAsync);
    }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}/hooks/vidgate";

    /// <summary>Everything received so far, in order.</summary>
    public List<Delivery> All { get; } = [];

    /// <summary>The next delivery, waiting up to <paramref name="timeout"/> (default 60 s) for it.</summary>
    public async Task<Delivery> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            return await _received.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            Assert.Fail($"no webhook delivery arrived within {(timeout ?? TimeSpan.FromSeconds(60)).TotalSeconds} s (received so far: {All.Count})");
            throw;
        }
    }

    /// <summary>True if nothing more arrives within <paramref name="wait"/>.</summary>
    public async Task<bool> QuietForAsync(TimeSpan wait)
    {
        using var cts = new CancellationTokenSource(wait);
        try
        {
            await _received.Reader.WaitToReadAsync(cts.Token);
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    public void Dispose() => _listener.Close();

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            var headers = new HeaderDictionary();
            foreach (var name in context.Request.Headers.AllKeys)
            {
                headers[name!] = context.Request.Headers[name];
            }

            var delivery = new Delivery(context.Request.HttpMethod, context.Request.Url!.AbsolutePath, headers, body.ToArray());
            lock (All)
            {
                All.Add(delivery);
            }

            context.Response.StatusCode = _answers.TryDequeue(out var status) ? status : 200;
            context.Response.Close();
            _received.Writer.TryWrite(delivery);
        }
    }

    internal sealed record Delivery(string Method, string Path, IHeaderDictionary Headers, byte[] Body)
    {
        public string Id => Headers["webhook-id"].ToString();

        public string Text => System.Text.Encoding.UTF8.GetString(Body);

        public System.Text.Json.JsonElement Json => System.Text.Json.JsonDocument.Parse(Body).RootElement.Clone();
    }
}
