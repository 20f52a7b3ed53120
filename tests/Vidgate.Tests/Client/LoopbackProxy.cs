using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Vidgate.Tests.Client;

/// <summary>What the proxy saw of one request.</summary>
public sealed record ProxiedRequest(string Method, string PathAndQuery, string? Range, string? IfRange, string? IdempotencyKey);

/// <summary>
/// A small Kestrel reverse proxy on loopback in front of a real server, that misbehaves on purpose the way networks do:
/// it can cut a download's connection halfway through the body, lose a create's answer after the server made the
/// video, or answer 503 with <c>Retry-After</c> once. Everything else is forwarded byte for byte.
/// </summary>
public sealed class LoopbackProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _upstream;
    private int _dropContent;
    private int _loseCreateAnswer;
    private int _busyCreate;
    private Func<long, Task>? _received;
    private int _changeIfRange;

    private LoopbackProxy(WebApplication app, HttpClient upstream)
    {
        _app = app;
        _upstream = upstream;
    }

    public Uri BaseAddress { get; private set; } = null!;

    public ConcurrentQueue<ProxiedRequest> Requests { get; } = new();

    /// <summary>
    /// The next N content downloads send half their body, then the connection is reset. Before the reset the proxy
    /// awaits <paramref name="received"/> with the offset the client must have reached: a reset makes the client's
    /// kernel drop what it has not read yet, so without it the test would depend on timing.
    /// </summary>
    public void DropContentBodies(int count, Func<long, Task>? received = null)
    {
        _received = received;
        _dropContent = count;
    }

    /// <summary>
    /// Resumed downloads reach the server with another <c>If-Range</c> validator, as if the file had been replaced
    /// since the first answer: the server then answers 200 with the whole file.
    /// </summary>
    public void ChangeIfRange() => _changeIfRange = 1;

    /// <summary>The next create reaches the server, but its answer is lost (the connection is reset instead).</summary>
    public void LoseNextCreateAnswer() => _loseCreateAnswer = 1;

    /// <summary>The next create is answered 503 with <c>Retry-After: 1</c> without reaching the server.</summary>
    public void BusyOnNextCreate() => _busyCreate = 1;

    public static async Task<LoopbackProxy> StartAsync(Uri target)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var proxy = new LoopbackProxy(app, new HttpClient { BaseAddress = target, Timeout = TimeSpan.FromMinutes(3) });
        app.Run(proxy.ForwardAsync);
        await app.StartAsync();
        proxy.BaseAddress = new Uri(app.Urls.First());
        return proxy;
    }

    private async Task ForwardAsync(HttpContext context)
    {
        var request = context.Request;
        var pathAndQuery = request.Path + request.QueryString;
        Requests.Enqueue(new ProxiedRequest(
            request.Method, pathAndQuery, Header(request, "Range"), Header(request, "If-Range"), Header(request, "Idempotency-Key")));
        var isCreate = request.Method == "POST" && request.Path == "/v1/videos";
        if (isCreate && Interlocked.Exchange(ref _busyCreate, 0) == 1)
        {
            context.Response.StatusCode = 503;
            context.Response.Headers.RetryAfter = "1";
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"error":{"message":"busy","type":"server_error","param":null,"code":"overloaded"}}""");
            return;
        }

        using var forward = new HttpRequestMessage(new HttpMethod(request.Method), pathAndQuery);
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body);
        if (body.Length > 0 || request.ContentType is not null)
        {
            forward.Content = new ByteArrayContent(body.ToArray());
        }

        foreach (var (name, values) in request.Headers)
        {
            if (name is "Host" or "Content-Length" or "Transfer-Encoding")
            {
                continue;
            }

            if (name == "If-Range" && Volatile.Read(ref _changeIfRange) == 1)
            {
                forward.Headers.TryAddWithoutValidation(name, "\"replaced\"");
                continue;
            }

            if (!forward.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                forward.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        using var answer = await _upstream.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead);
        if (isCreate && Interlocked.Exchange(ref _loseCreateAnswer, 0) == 1)
        {
            // The server has made the video; the client never hears of it.
            context.Abort();
            return;
        }

        context.Response.StatusCode = (int)answer.StatusCode;
        foreach (var (name, values) in answer.Headers.Concat(answer.Content.Headers))
        {
            if (name is not "Transfer-Encoding")
            {
                context.Response.Headers[name] = values.ToArray();
            }
        }

        var bytes = await answer.Content.ReadAsByteArrayAsync();
        var drop = request.Path.Value!.EndsWith("/content", StringComparison.Ordinal) && bytes.Length > 1
            && Interlocked.Decrement(ref _dropContent) >= 0;
        if (drop)
        {
            await context.Response.Body.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
            await context.Response.Body.FlushAsync();
            if (_received is { } received)
            {
                var from = answer.Content.Headers.ContentRange?.From ?? 0;
                await received(from + (bytes.Length / 2)).WaitAsync(TimeSpan.FromSeconds(30));
            }

            context.Abort();
            return;
        }

        await context.Response.Body.WriteAsync(bytes);
    }

    private static string? Header(HttpRequest request, string name) => request.Headers.TryGetValue(name, out var v) ? v.ToString() : null;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _upstream.Dispose();
    }
}
