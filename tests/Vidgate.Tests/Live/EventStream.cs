using System.Text;
using System.Text.Json;

namespace Vidgate.Tests.Live;

/// <summary>One message of a Server-Sent Events stream: an event (with its <c>id</c> and JSON <c>data</c>) or a comment line.</summary>
public sealed record SseMessage(string? Event, string? Id, string? Data, string? Comment)
{
    public JsonElement Json => JsonDocument.Parse(Data!).RootElement.Clone();

    public long Version => long.Parse(Id!, System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// A client reading <c>text/event-stream</c> as the SSE specification parses it (fields per line, a blank line ends a
/// message, lines starting with ':' are comments), written here rather than taken from the server, so the tests read the
/// wire, not the server's idea of it.
/// </summary>
public sealed class EventStream(HttpResponseMessage response, Stream body) : IAsyncDisposable
{
    private readonly StreamReader _reader = new(body, Encoding.UTF8);

    public HttpResponseMessage Response { get; } = response;

    public static async Task<EventStream> OpenAsync(HttpClient client, string path, string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        return new EventStream(response, await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken));
    }

    /// <summary>The next message, or null when the server ended the stream.</summary>
    public async Task<SseMessage?> NextAsync()
    {
        string? name = null, id = null, comment = null;
        StringBuilder? data = null;
        var any = false;
        while (await _reader.ReadLineAsync(TestContext.Current.CancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (any)
                {
                    return new SseMessage(name, id, data?.ToString(), comment);
                }

                continue;
            }

            any = true;
            if (line[0] == ':')
            {
                comment = line[1..].TrimStart();
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "event":
                    name = value;
                    break;
                case "id":
                    id = value;
                    break;
                case "data":
                    data = data is null ? new StringBuilder(value) : data.Append('\n').Append(value);
                    break;
            }
        }

        return any ? new SseMessage(name, id, data?.ToString(), comment) : null;
    }

    /// <summary>The next event, skipping comments; null at the end of the stream.</summary>
    public async Task<SseMessage?> NextEventAsync()
    {
        while (await NextAsync() is { } message)
        {
            if (message.Data is not null)
            {
                return message;
            }
        }

        return null;
    }

    /// <summary>Every event until the server ends the stream (which it must do at the end state).</summary>
    public async Task<List<SseMessage>> ReadToEndAsync()
    {
        var events = new List<SseMessage>();
        while (await NextEventAsync() is { } message)
        {
            events.Add(message);
        }

        return events;
    }

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        Response.Dispose();
        await Task.CompletedTask;
    }
}
