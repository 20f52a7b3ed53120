using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Vidgate.Contracts;

namespace Vidgate.Client;

public sealed partial class VidgateClient
{
    private const string PollAfterHeader = "openai-poll-after-ms";
    private const string UpdatedEvent = "video.updated";
    private static readonly TimeSpan DefaultPoll = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MinPoll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxPoll = TimeSpan.FromSeconds(10);

    /// <summary>True for the statuses a video never leaves.</summary>
    public static bool IsTerminal(string status) => status is "completed" or "failed" or "cancelled";

    /// <summary>
    /// Waits until the video is completed, failed or cancelled and returns it in that state (a failed video is returned,
    /// not thrown: look at <see cref="SeedVideo.Status"/> and <see cref="SeedVideo.Error"/>). Follows the server's event
    /// stream (<c>GET /v1/videos/{id}/events</c>, resumed with <c>Last-Event-ID</c> if it drops) when the server has
    /// one, else polls at the pace the server asks for (<c>openai-poll-after-ms</c>). <paramref name="progress"/> hears
    /// each new percentage, never a lower one.
    /// </summary>
    public async Task<SeedVideo> WaitForCompletionAsync(string id, IProgress<int>? progress = null, CancellationToken ct = default)
    {
        var reporter = new ProgressReporter(progress);
        if (_options.UseServerSentEvents && await FollowEventsAsync(id, reporter, ct).ConfigureAwait(false) is { } done)
        {
            return done;
        }

        return await PollAsync(id, reporter, ct).ConfigureAwait(false);
    }

    /// <summary>The terminal video from the event stream, or null when the server has none (then the caller polls).</summary>
    private async Task<SeedVideo?> FollowEventsAsync(string id, ProgressReporter reporter, CancellationToken ct)
    {
        string? lastEventId = null;
        var drops = 0;
        while (true)
        {
            using var response = await SendAsync(
                HttpMethod.Get, $"v1/videos/{Escape(id)}/events", null, retry: true, HttpCompletionOption.ResponseHeadersRead, ct,
                r =>
                {
                    r.Headers.Accept.ParseAdd("text/event-stream");
                    if (lastEventId is not null)
                    {
                        r.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
                    }
                }).ConfigureAwait(false);

            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed)
            {
                // A 404 for a video that GET finds means the route itself is missing: an older server. GET throws the
                // 404 of a video that does not exist.
                await GetAsync(id, ct).ConfigureAwait(false);
                return null;
            }

            await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
            if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
            {
                return null;
            }

            try
            {
                var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                await using (stream.ConfigureAwait(false))
                {
                    await foreach (var item in SseParser.Create(stream).EnumerateAsync(ct).ConfigureAwait(false))
                    {
                        if (item.EventId is { Length: > 0 } eventId)
                        {
                            lastEventId = eventId;
                        }

                        if (item.EventType != UpdatedEvent)
                        {
                            continue;
                        }

                        var video = JsonSerializer.Deserialize(item.Data, ContractsJson.Default.SeedVideo);
                        if (video is null)
                        {
                            continue;
                        }

                        reporter.Report(video.Progress);
                        if (IsTerminal(video.Status))
                        {
                            reporter.Report(video.Status == "completed" ? 100 : video.Progress);
                            return video;
                        }
                    }
                }
            }
            catch (Exception e) when (e is IOException or HttpRequestException or JsonException && !ct.IsCancellationRequested)
            {
                // Dropped mid-stream (or a garbled event): resume below.
            }

            // The stream ended before the terminal event: resume where it stopped; after a few drops, poll instead.
            if (++drops > _options.MaxRetries)
            {
                return null;
            }

            await DelayAsync(Backoff(drops - 1), ct).ConfigureAwait(false);
        }
    }

    private async Task<SeedVideo> PollAsync(string id, ProgressReporter reporter, CancellationToken ct)
    {
        while (true)
        {
            using var response = await SendAsync(HttpMethod.Get, $"v1/videos/{Escape(id)}", null, retry: true, HttpCompletionOption.ResponseContentRead, ct)
                .ConfigureAwait(false);
            await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
            var video = await response.Content.ReadFromJsonAsync(ContractsJson.Default.SeedVideo, ct).ConfigureAwait(false)
                ?? throw Unexpected(response, "an empty JSON body");
            reporter.Report(video.Progress);
            if (IsTerminal(video.Status))
            {
                reporter.Report(video.Status == "completed" ? 100 : video.Progress);
                return video;
            }

            await Task.Delay(PollInterval(response), _options.TimeProvider, ct).ConfigureAwait(false);
        }
    }

    private static TimeSpan PollInterval(HttpResponseMessage response)
    {
        if (response.Headers.TryGetValues(PollAfterHeader, out var values)
            && int.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
        {
            var wait = TimeSpan.FromMilliseconds(ms);
            return wait < MinPoll ? MinPoll : wait > MaxPoll ? MaxPoll : wait;
        }

        return DefaultPoll;
    }

    /// <summary>Reports each percentage once, in increasing order, whatever order the reads arrive in.</summary>
    private sealed class ProgressReporter(IProgress<int>? progress)
    {
        private int _last = -1;

        public void Report(int value)
        {
            if (progress is null || value <= _last)
            {
                return;
            }

            _last = Math.Clamp(value, 0, 100);
            progress.Report(_last);
        }
    }
}
