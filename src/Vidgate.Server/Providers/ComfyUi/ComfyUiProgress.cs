using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;

namespace Vidgate.Server.Providers.ComfyUi;

/// <summary>
/// Sampler progress from ComfyUI's <c>/ws?clientId=</c> events (<c>progress {value, max, prompt_id}</c>), which ComfyUI
/// sends only to the client id that queued the prompt. Connected on demand by polls and closed after
/// <see cref="IdleAfter"/> without one, so an instance nobody polls holds no socket; polling still works without it.
/// </summary>
internal sealed class ComfyUiProgress(Uri baseUrl, string clientId, string? apiKey, TimeProvider clock, ILogger logger)
{
    public static readonly TimeSpan IdleAfter = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(10);
    private const int MaxPrompts = 10_000;
    private const int MaxMessageBytes = 1024 * 1024;

    private readonly ConcurrentDictionary<string, int> _percent = new();
    private readonly Lock _gate = new();
    private Task? _listener;

    // Pushes the running listener's idle deadline back; the listener owns (and disposes) the timer behind it.
    private Action? _rearm;
    private DateTimeOffset _retryAt;

    /// <summary>0..99 once an event for the prompt arrived; never lower than before (multi-sampler graphs restart at 0).</summary>
    public int? Percent(string promptId) => _percent.TryGetValue(promptId, out var percent) ? percent : null;

    public void Forget(string promptId) => _percent.TryRemove(promptId, out _);

    /// <summary>Called by every poll: (re)connects when needed and pushes the idle deadline back.</summary>
    public void Touch()
    {
        lock (_gate)
        {
            if (_listener is { IsCompleted: false })
            {
                try
                {
                    _rearm?.Invoke();
                    return;
                }
                catch (ObjectDisposedException)
                {
                    // The listener is closing right now: start a new one.
                }
            }

            // A ComfyUI (or proxy) that refuses websockets must not cost a connection attempt per poll.
            if (clock.GetUtcNow() < _retryAt)
            {
                return;
            }

            _listener = Task.Run(ListenAsync);
        }
    }

    private async Task ListenAsync()
    {
        using var idle = new CancellationTokenSource(IdleAfter, clock);
        _rearm = () => idle.CancelAfter(IdleAfter);
        try
        {
            await ReceiveAsync(idle.Token);
        }
        finally
        {
            _rearm = null;
            lock (_gate)
            {
                _retryAt = clock.GetUtcNow() + RetryAfter;
            }
        }
    }

    private async Task ReceiveAsync(CancellationToken idle)
    {
        using var socket = new ClientWebSocket();
        if (apiKey is { Length: > 0 })
        {
            socket.Options.SetRequestHeader("Authorization", $"Bearer {apiKey}");
        }

        try
        {
            await socket.ConnectAsync(SocketUrl(), idle);
            var buffer = new byte[16 * 1024];
            using var text = new MemoryStream();
            while (socket.State == WebSocketState.Open)
            {
                var frame = await socket.ReceiveAsync(buffer, idle);
                if (frame.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                // Binary messages are preview images: not ours to read.
                if (frame.MessageType != WebSocketMessageType.Text || text.Length + frame.Count > MaxMessageBytes)
                {
                    text.SetLength(0);
                    continue;
                }

                text.Write(buffer, 0, frame.Count);
                if (frame.EndOfMessage)
                {
                    Handle(text.GetBuffer().AsSpan(0, (int)text.Length));
                    text.SetLength(0);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or HttpRequestException)
        {
            ComfyUiLog.ProgressSocketClosed(logger, clientId, ex.GetType().Name);
        }
    }

    private void Handle(ReadOnlySpan<byte> message)
    {
        try
        {
            var reader = new Utf8JsonReader(message);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (ComfyUiHistory.Text(root, "type") != "progress" || !root.TryGetProperty("data", out var data)
                || ComfyUiHistory.Text(data, "prompt_id") is not { } promptId
                || !data.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.Number
                || !data.TryGetProperty("max", out var max) || max.ValueKind != JsonValueKind.Number || max.GetDouble() <= 0)
            {
                return;
            }

            if (_percent.Count >= MaxPrompts)
            {
                _percent.Clear();
            }

            var percent = (int)Math.Clamp(value.GetDouble() * 100 / max.GetDouble(), 0, 99);
            _percent.AddOrUpdate(promptId, percent, (_, old) => Math.Max(old, percent));
        }
        catch (JsonException)
        {
            // A malformed event only costs a progress update.
        }
    }

    private Uri SocketUrl()
    {
        var builder = new UriBuilder(baseUrl) { Scheme = baseUrl.Scheme == Uri.UriSchemeHttps ? "wss" : "ws" };
        builder.Path = builder.Path.TrimEnd('/') + "/ws";
        builder.Query = "clientId=" + Uri.EscapeDataString(clientId);
        return builder.Uri;
    }
}
