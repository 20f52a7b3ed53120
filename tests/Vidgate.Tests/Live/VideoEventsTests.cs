using System.Net;
using System.Text.Json;
using Vidgate.Server.Live;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Live;

/// <summary>
/// <c>GET /v1/videos/{id}/events</c> on one node (SQLite, the real builtin renderer): what an SSE client sees from the
/// first event to the end of the stream, how it resumes, heartbeats, and who may watch.
/// </summary>
public sealed class VideoEventsTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private readonly VidgateApp _app = fixture.App;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_render_streams_rising_progress_and_ends_with_completed_in_the_retrieve_shape()
    {
        using var client = await _app.NewUserAsync("sse");
        var created = await client.CreateAsync(new { model = "grok-imagine-video", prompt = "a slow push in over a harbour at dusk", seconds = 6, resolution = "480P" });
        var id = created.GetProperty("id").GetString()!;

        await using var stream = await EventStream.OpenAsync(client, $"/v1/videos/{id}/events");
        Assert.Equal(HttpStatusCode.OK, stream.Response.StatusCode);
        Assert.Equal("text/event-stream", stream.Response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-cache", stream.Response.Headers.CacheControl?.ToString());
        var events = await stream.ReadToEndAsync();

        Assert.NotEmpty(events);
        Assert.All(events, e => Assert.Equal("video.updated", e.Event));
        Assert.All(events, e => Assert.Equal(id, e.Json.GetProperty("id").GetString()));
        Assert.Equal(events.Count, events.Select(e => e.Version).Distinct().Count());
        Assert.Equal(events.Select(e => e.Version).Order(), events.Select(e => e.Version));
        var progress = events.Select(e => e.Json.GetProperty("progress").GetInt32()).ToList();
        Assert.Equal(progress.Order(), progress);
        Assert.Contains(progress, p => p is > 0 and < 100);

        // Only the last event is an end state, and it is exactly what a retrieve now answers.
        Assert.All(events.SkipLast(1), e => Assert.NotEqual("completed", e.Json.GetProperty("status").GetString()));
        var last = events[^1].Json;
        Assert.Equal("completed", last.GetProperty("status").GetString());
        Assert.Equal(100, last.GetProperty("progress").GetInt32());
        Assert.True(JsonElement.DeepEquals(await client.GetVideoAsync(id), last), $"last event {last} is not the retrieve");

        // Every watch was given back when its stream ended.
        Assert.Equal(0, _app.Service<TaskChanges>().Watching);
    }

    [Fact]
    public async Task A_finished_video_gives_one_event_and_its_last_event_id_gives_204_so_an_event_source_stops()
    {
        using var client = await _app.NewUserAsync("sse-done");
        var id = (await client.CreateAsync(new { model = "grok-imagine-video", prompt = "done already", seconds = 1, resolution = "480P" })).GetProperty("id").GetString()!;
        await client.WaitForAsync(id, "completed");

        await using var first = await EventStream.OpenAsync(client, $"/v1/videos/{id}/events");
        var events = await first.ReadToEndAsync();
        var only = Assert.Single(events);
        Assert.Equal("completed", only.Json.GetProperty("status").GetString());

        // Reconnecting with the end state's id: nothing new will ever come.
        await using var again = await EventStream.OpenAsync(client, $"/v1/videos/{id}/events", only.Id);
        Assert.Equal(HttpStatusCode.NoContent, again.Response.StatusCode);

        // An older id (or one the server never gave) gets the current state again.
        foreach (var stale in new[] { "0", (only.Version - 1).ToString(System.Globalization.CultureInfo.InvariantCulture), "not-a-number" })
        {
            await using var resumed = await EventStream.OpenAsync(client, $"/v1/videos/{id}/events", stale);
            Assert.Equal(HttpStatusCode.OK, resumed.Response.StatusCode);
            var replay = Assert.Single(await resumed.ReadToEndAsync());
            Assert.Equal(only.Id, replay.Id);
            Assert.Equal(only.Data, replay.Data);
        }
    }

    [Fact]
    public async Task Other_accounts_unknown_ids_and_missing_keys_get_the_same_errors_as_a_retrieve()
    {
        using var alice = await _app.NewUserAsync("alice-sse");
        using var bob = await _app.NewUserAsync("bob-sse");
        var id = (await alice.CreateAsync(new { model = "grok-imagine-video", prompt = "alice's", seconds = 1, resolution = "480P" })).GetProperty("id").GetString()!;

        var foreign = await Api.ErrorAsync(await bob.GetAsync($"/v1/videos/{id}/events", Ct), HttpStatusCode.NotFound);
        var unknown = await Api.ErrorAsync(await bob.GetAsync("/v1/videos/video_0000000000000000000000000000dead/events", Ct), HttpStatusCode.NotFound);
        Assert.Equal(foreign.GetProperty("type").GetString(), unknown.GetProperty("type").GetString());
        Assert.Equal(foreign.GetProperty("code").GetString(), unknown.GetProperty("code").GetString());

        using var anonymous = _app.Client(null);
        await Api.ErrorAsync(await anonymous.GetAsync($"/v1/videos/{id}/events", Ct), HttpStatusCode.Unauthorized);
        Assert.Equal(0, _app.Service<TaskChanges>().Watching);
    }

    [Fact]
    public async Task Cancel_mid_render_ends_the_stream_with_cancelled()
    {
        using var client = await _app.NewUserAsync("sse-cancel");
        var id = (await client.CreateAsync(new { model = "grok-imagine-video", prompt = "a long slow orbit", seconds = 15, resolution = "720P" })).GetProperty("id").GetString()!;
        await using var stream = await EventStream.OpenAsync(client, $"/v1/videos/{id}/events");

        // Wait on the stream itself for the render to be under way, then cancel.
        while (await stream.NextEventAsync() is { } e && e.Json.GetProperty("progress").GetInt32() == 0)
        {
        }

        (await client.PostAsync($"/v1/videos/{id}/cancel", null, Ct)).EnsureSuccessStatusCode();
        var rest = await stream.ReadToEndAsync();
        var last = Assert.Single(rest, e => e.Json.GetProperty("status").GetString() is "completed" or "failed" or "cancelled");
        Assert.Same(rest[^1], last);
        Assert.Equal("cancelled", last.Json.GetProperty("status").GetString());
    }
}
