using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Vidgate.Contracts;
using Vidgate.Server.Accounts;
using Vidgate.Server.Dialects;
using Vidgate.Server.Live;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Videos;

/// <summary>
/// Live progress for one video: <c>GET /v1/videos/{id}/events</c> (Server-Sent Events) and the long-poll
/// <c>GET /v1/videos/{id}?wait=N</c>. Both wait on <see cref="TaskFollower"/>, which reads the store on every change
/// hint and every few seconds, so an answer never depends on a hint arriving.
/// </summary>
internal static class VideoEvents
{
    public const string EventName = "video.updated";
    public const string ContentType = "text/event-stream";

    /// <summary>Mapped on its own (not in <c>MapVideos</c>), with the same caller requirement as every <c>/v1/videos</c> route.</summary>
    public static RouteHandlerBuilder MapVideoEvents(this IEndpointRouteBuilder routes)
        => routes.MapGet("/v1/videos/{id}/events", Stream).RequireCaller()
            .WithVidgateDocs("Videos", "Live progress as Server-Sent Events (video.updated; the stream ends after the end status)", DocAuth.Key, 404)
            .Returns(200, "text/event-stream").Returns(204, "text/plain")
            .Param("Last-Event-ID", "Resume: the id of the last event seen. The end state's id answers 204.", header: true);

    /// <summary>
    /// The stream: the task now (unless <c>Last-Event-ID</c> says the client has seen exactly this state), one event per
    /// change of status or progress, the last one at the end state, then the end of the stream. A client that comes back
    /// with the id of the end state gets 204, which tells an EventSource to stop reconnecting. Each event's <c>data</c> is
    /// the object <c>GET /v1/videos/{id}</c> returns, in the dialect the video was created in. A stream open longer than
    /// <see cref="LiveOptions.MaxStreamDuration"/>, or on a node that is stopping, ends early; the client reconnects.
    /// </summary>
    public static async Task<IResult> Stream(
        string id, HttpContext http, VideoService videos, TaskFollower follower, ContentLinks links,
        IOptions<LiveOptions> options, TimeProvider clock, IHostApplicationLifetime lifetime, CancellationToken ct)
    {
        var caller = http.Caller();
        using var watch = follower.Watch(id);
        var task = await videos.GetAsync(caller, id, ct);
        if (task is null)
        {
            return VideoService.NotFound(id).ToResult();
        }

        var sent = LastEventIdOf(http.Request);
        if (task.IsFinished && sent == TaskVersion.Of(task))
        {
            return TypedResults.NoContent();
        }

        var response = http.Response;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-cache";
        // nginx and similar proxies buffer responses unless told not to; an event that sits in a buffer is not live.
        response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.StartAsync(ct);
        try
        {
            var beat = options.Value.HeartbeatInterval;
            var nextBeat = clock.GetUtcNow() + beat;
            var endAt = clock.GetUtcNow() + options.Value.MaxStreamDuration;
            if (TaskVersion.Of(task) != sent)
            {
                sent = await WriteEventAsync(response, task, links, http.Request, ct);
            }
            else
            {
                // Headers alone may wait in a proxy; a first comment tells the client the stream is open.
                await WriteCommentAsync(response, ct);
            }

            while (!task.IsFinished && !lifetime.ApplicationStopping.IsCancellationRequested && clock.GetUtcNow() < endAt)
            {
                var latest = await follower.NextAsync(watch, task, caller.AccountId, nextBeat < endAt ? nextBeat : endAt, ct);
                if (latest is null)
                {
                    break;
                }

                task = latest;
                if (TaskVersion.Of(task) != sent)
                {
                    sent = await WriteEventAsync(response, task, links, http.Request, ct);
                    nextBeat = clock.GetUtcNow() + beat;
                }
                else if (clock.GetUtcNow() >= nextBeat)
                {
                    await WriteCommentAsync(response, ct);
                    nextBeat = clock.GetUtcNow() + beat;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away: nothing to answer.
        }

        return Results.Empty;
    }

    /// <summary>The <c>wait</c> query parameter of a retrieve: seconds, more than 0 and at most 60 (fractions allowed).</summary>
    public static (TimeSpan? Wait, ApiError? Error) WaitOf(string? wait)
    {
        if (wait is null)
        {
            return (null, null);
        }

        return decimal.TryParse(wait, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds)
            && seconds is > 0 and <= LiveOptions.MaxWaitSeconds
            ? (TimeSpan.FromMilliseconds((double)(seconds * 1000)), null)
            : (null, ApiError.Invalid(
                "wait", $"'wait' must be a number of seconds greater than 0 and at most {LiveOptions.MaxWaitSeconds}.", "invalid_wait"));
    }

    /// <summary>The version the client saw last; anything unreadable counts as none (the client then gets the current state).</summary>
    private static long? LastEventIdOf(HttpRequest request)
        => long.TryParse(request.Headers["Last-Event-ID"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;

    private static async Task<long> WriteEventAsync(HttpResponse response, VideoTask task, ContentLinks links, HttpRequest request, CancellationToken ct)
    {
        var version = TaskVersion.Of(task);
        var json = Json(TaskWire.Render(task, links.For(task, request)));
        await response.WriteAsync(
            string.Create(CultureInfo.InvariantCulture, $"event: {EventName}\nid: {version}\ndata: {json}\n\n"), ct);
        await response.Body.FlushAsync(ct);
        return version;
    }

    private static async Task WriteCommentAsync(HttpResponse response, CancellationToken ct)
    {
        await response.WriteAsync(": keep-alive\n\n", ct);
        await response.Body.FlushAsync(ct);
    }

    /// <summary>
    /// The JSON body of a retrieve, as text: taken from the dialect's result itself (<see cref="TaskWire"/> stays the one
    /// switch over dialects), serialised compactly, so it is one <c>data:</c> line (JSON escapes every line break in strings).
    /// </summary>
    private static string Json(IResult result) =>
        result is IValueHttpResult { Value: { } value } && ContractsJson.Wire.GetTypeInfo(value.GetType()) is { } type
            ? JsonSerializer.Serialize(value, type)
            : throw new InvalidOperationException($"{result.GetType().Name} carries no wire value to stream.");
}
