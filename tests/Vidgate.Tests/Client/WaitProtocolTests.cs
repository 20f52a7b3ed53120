using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Vidgate.Client;
using Vidgate.Contracts;

namespace Vidgate.Tests.Client;

/// <summary>
/// How <see cref="VidgateClient.WaitForCompletionAsync"/> speaks the two waiting protocols, against a scripted loopback
/// server that follows them to the letter: the event stream (<c>event: video.updated</c>, <c>id:</c>, resumed with
/// <c>Last-Event-ID</c> after a drop) and, when <c>/events</c> is a 404 for a video that exists, polling at the
/// <c>openai-poll-after-ms</c> pace. The end-to-end tests run the same calls against the real server.
/// </summary>
public sealed class WaitProtocolTests
{
    private const string Id = "video_0000000000000000000000000001";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_event_stream_is_followed_and_resumed_with_last_event_id_after_a_drop()
    {
        var lastEventIds = new ConcurrentQueue<string>();
        var connections = 0;
        await using var server = await ScriptedServer.StartAsync(app => app.MapGet("/v1/videos/{id}/events", async (HttpContext http) =>
        {
            lastEventIds.Enqueue(http.Request.Headers["Last-Event-ID"].ToString());
            http.Response.ContentType = "text/event-stream";
            if (Interlocked.Increment(ref connections) == 1)
            {
                await Event(http, 1, Video("queued", 0));
                await Event(http, 2, Video("processing", 40));
                // The stream ends before the terminal event (a proxy's idle timeout, a node restarting).
                return;
            }

            await http.Response.WriteAsync(": heartbeat\n\n");
            await Event(http, 3, Video("processing", 80));
            await Event(http, 4, Video("completed", 100));
        }));

        var reports = new ConcurrentQueue<int>();
        var done = await server.Client().WaitForCompletionAsync(Id, new Inline(reports.Enqueue), Ct);

        Assert.Equal("completed", done.Status);
        Assert.Equal([0, 40, 80, 100], reports.ToArray());
        Assert.Equal(["", "2"], lastEventIds.ToArray());
    }

    [Fact]
    public async Task A_failed_video_on_the_stream_is_returned_with_its_error_not_thrown()
    {
        await using var server = await ScriptedServer.StartAsync(app => app.MapGet("/v1/videos/{id}/events", async (HttpContext http) =>
        {
            http.Response.ContentType = "text/event-stream";
            await Event(http, 1, Video("processing", 30));
            await Event(http, 2, Video("failed", 30) with { Error = new VideoError("render_failed", "ffmpeg exited with code 1") });
        }));

        var done = await server.Client().WaitForCompletionAsync(Id, null, Ct);

        Assert.Equal("failed", done.Status);
        Assert.Equal("render_failed", done.Error?.Code);
    }

    [Fact]
    public async Task Without_an_event_stream_it_polls_at_the_servers_pace_until_the_end()
    {
        var gets = 0;
        await using var server = await ScriptedServer.StartAsync(app =>
        {
            app.MapGet("/v1/videos/{id}/events", () => Results.Json(
                new ErrorBody(new ErrorDetail("Not found.", "not_found_error", null, "not_found")), ContractsJson.Wire.ErrorBody, statusCode: 404));
            app.MapGet("/v1/videos/{id}", (HttpContext http) =>
            {
                var n = Interlocked.Increment(ref gets);
                http.Response.Headers["openai-poll-after-ms"] = "50";
                // The first GET is the client checking that the video exists; then it polls.
                return Results.Json(n < 4 ? Video("processing", n * 20) : Video("completed", 100), ContractsJson.Wire.SeedVideo);
            });
        });

        var reports = new ConcurrentQueue<int>();
        var done = await server.Client().WaitForCompletionAsync(Id, new Inline(reports.Enqueue), Ct);

        Assert.Equal("completed", done.Status);
        Assert.Equal(4, gets);
        Assert.Equal([40, 60, 100], reports.ToArray());
    }

    [Fact]
    public async Task A_video_that_does_not_exist_fails_at_once_with_404()
    {
        var gets = 0;
        await using var server = await ScriptedServer.StartAsync(app =>
        {
            var notFound = () => Results.Json(
                new ErrorBody(new ErrorDetail($"No video with id '{Id}'.", "not_found_error", null, "video_not_found")), ContractsJson.Wire.ErrorBody, statusCode: 404);
            app.MapGet("/v1/videos/{id}/events", notFound);
            app.MapGet("/v1/videos/{id}", () =>
            {
                Interlocked.Increment(ref gets);
                return notFound();
            });
        });

        var error = await Assert.ThrowsAsync<VidgateException>(() => server.Client().WaitForCompletionAsync(Id, null, Ct));

        Assert.Equal(404, error.Status);
        Assert.Equal("video_not_found", error.Code);
        Assert.Equal(1, gets);
    }

    private static SeedVideo Video(string status, int progress) => new(
        Id, "video", "grok-imagine-video", status, progress, 1_700_000_000, status == "completed" ? 1_700_000_010 : null, null, "6", "720P", "16:9", "", null);

    private static async Task Event(HttpContext http, int id, SeedVideo video)
    {
        await http.Response.WriteAsync($"event: video.updated\nid: {id}\ndata: {JsonSerializer.Serialize(video, ContractsJson.Wire.SeedVideo)}\n\n");
        await http.Response.Body.FlushAsync();
    }

    private sealed class Inline(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
