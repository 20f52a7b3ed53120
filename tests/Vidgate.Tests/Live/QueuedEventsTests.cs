using System.Net;
using System.Text.Json;
using Vidgate.Server.Live;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Live;

/// <summary>
/// Streams and long-polls of tasks that stay queued (an API-only node: workers off), so every change is one the test
/// makes: heartbeats on an idle stream, <c>Last-Event-ID</c> on a task that did not change, a cancel ending the stream.
/// </summary>
public sealed class QueuedEventsTests : IDisposable
{
    private readonly VidgateApp _app = new(settings: new()
    {
        ["Vidgate:Workers"] = "false",
        ["Vidgate:Live:HeartbeatInterval"] = "00:00:00.200",
    });

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _app.Dispose();

    private static async Task<string> CreateAsync(HttpClient client, string prompt = "queued for ever")
        => (await client.CreateAsync(new { model = "grok-imagine-video", prompt, seconds = 1, resolution = "480P" })).GetProperty("id").GetString()!;

    [Fact]
    public async Task An_idle_stream_sends_heartbeat_comments_between_events()
    {
        using var client = await _app.NewUserAsync();
        var id = await CreateAsync(client);
        await using var stream = await EventStream.OpenAsync(client, $"/v1/videos/{id}/events");

        var first = await stream.NextAsync();
        Assert.Equal("video.updated", first!.Event);
        Assert.Equal("queued", first.Json.GetProperty("status").GetString());
        for (var i = 0; i < 3; i++)
        {
            var beat = await stream.NextAsync();
            Assert.NotNull(beat);
            Assert.Null(beat.Data);
            Assert.Equal("keep-alive", beat.Comment);
        }
    }

    [Fact]
    public async Task Resuming_an_unchanged_task_skips_the_first_event_and_a_cancel_ends_the_stream_with_cancelled()
    {
        using var client = await _app.NewUserAsync();
        var id = await CreateAsync(client);
        string seen;
        await using (var stream = await EventStream.OpenAsync(client, $"/v1/videos/{id}/events"))
        {
            seen = (await stream.NextEventAsync())!.Id!;
        }

        await using var resumed = await EventStream.OpenAsync(client, $"/v1/videos/{id}/events", seen);
        Assert.Equal(HttpStatusCode.OK, resumed.Response.StatusCode);

        // Nothing changed since the id it brought back: the stream opens with a comment, not a repeat of that state.
        var opening = await resumed.NextAsync();
        Assert.Null(opening!.Data);

        (await client.PostAsync($"/v1/videos/{id}/cancel", null, Ct)).EnsureSuccessStatusCode();
        var events = await resumed.ReadToEndAsync();
        var last = Assert.Single(events);
        Assert.Equal("cancelled", last.Json.GetProperty("status").GetString());
        Assert.True(last.Version > long.Parse(seen, System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(JsonElement.DeepEquals(await client.GetVideoAsync(id), last.Json));
    }

    [Fact]
    public async Task A_stream_open_longer_than_its_limit_ends_and_the_reconnect_resumes_where_it_was()
    {
        using var app = new VidgateApp(settings: new() { ["Vidgate:Workers"] = "false", ["Vidgate:Live:MaxStreamDuration"] = "00:00:00.300" });
        using var client = await app.NewUserAsync();
        var id = await CreateAsync(client);

        await using var first = await EventStream.OpenAsync(client, $"/v1/videos/{id}/events");
        var seen = Assert.Single(await first.ReadToEndAsync());
        Assert.Equal("queued", seen.Json.GetProperty("status").GetString());

        // Nothing changed: the reconnect opens with a comment, then sees the cancel as its one event.
        await using var second = await EventStream.OpenAsync(client, $"/v1/videos/{id}/events", seen.Id);
        Assert.Null((await second.NextAsync())!.Data);
        (await client.PostAsync($"/v1/videos/{id}/cancel", null, Ct)).EnsureSuccessStatusCode();
        var next = await second.NextEventAsync();
        Assert.Equal("cancelled", next!.Json.GetProperty("status").GetString());
        Assert.Null(await second.NextEventAsync());
        Assert.Equal(0, app.Service<TaskChanges>().Watching);
    }

    [Fact]
    public async Task A_long_poll_returns_the_change_as_soon_as_it_happens()
    {
        using var client = await _app.NewUserAsync();
        var id = await CreateAsync(client);
        var feed = _app.Service<TaskChanges>();

        // The poll waits up to 60 s; it is answered by the cancel, the only change this task will ever have.
        var poll = client.GetAsync($"/v1/videos/{id}?wait=60", Ct);
        while (feed.Watching == 0)
        {
            await Task.Delay(10, Ct);
        }

        Assert.False(poll.IsCompleted);
        (await client.PostAsync($"/v1/videos/{id}/cancel", null, Ct)).EnsureSuccessStatusCode();
        var answered = await Api.OkJsonAsync(await poll);
        Assert.Equal("cancelled", answered.GetProperty("status").GetString());
        Assert.Equal(0, feed.Watching);
    }

    [Fact]
    public async Task A_long_poll_without_a_change_answers_the_current_state_after_the_wait()
    {
        using var client = await _app.NewUserAsync();
        var id = await CreateAsync(client);
        var answered = await Api.OkJsonAsync(await client.GetAsync($"/v1/videos/{id}?wait=0.3", Ct));
        Assert.Equal("queued", answered.GetProperty("status").GetString());
        Assert.True(JsonElement.DeepEquals(await client.GetVideoAsync(id), answered));
    }

    [Fact]
    public async Task A_long_poll_works_in_every_dialect_and_a_finished_task_answers_at_once()
    {
        using var client = await _app.NewUserAsync();
        var xai = (await Api.OkJsonAsync(await client.PostJsonAsync("/v1/videos/generations", """{"prompt":"xai long poll","duration":1,"resolution":"480p"}""")))
            .GetProperty("request_id").GetString()!;
        var openAi = (await client.CreateAsync(new { model = "sora-2", prompt = "openai long poll", seconds = "4", size = "1280x720" })).GetProperty("id").GetString()!;

        foreach (var id in new[] { xai, openAi })
        {
            var poll = client.GetAsync($"/v1/videos/{id}?wait=60", Ct);
            (await client.PostAsync($"/v1/videos/{id}/cancel", null, Ct)).EnsureSuccessStatusCode();
            var answered = await Api.OkJsonAsync(await poll);
            Assert.True(JsonElement.DeepEquals(await client.GetVideoAsync(id), answered), $"{answered}");

            // Already at its end: no wait at all (the 60 s would fail the test's own time limit many times over).
            for (var i = 0; i < 20; i++)
            {
                Assert.True(JsonElement.DeepEquals(answered, await Api.OkJsonAsync(await client.GetAsync($"/v1/videos/{id}?wait=60", Ct))));
            }
        }
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("61")]
    [InlineData("60.5")]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData("1e1")]
    [InlineData("NaN")]
    [InlineData("%201")]
    public async Task A_bad_wait_is_a_400_naming_wait(string wait)
    {
        using var client = await _app.NewUserAsync();
        var id = await CreateAsync(client);
        var error = await Api.ErrorAsync(await client.GetAsync($"/v1/videos/{id}?wait={wait}", Ct), HttpStatusCode.BadRequest);
        Assert.Equal("wait", error.GetProperty("param").GetString());
        Assert.Equal("invalid_wait", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_long_poll_of_another_accounts_video_is_a_404_and_waits_for_nothing()
    {
        using var alice = await _app.NewUserAsync("alice");
        using var bob = await _app.NewUserAsync("bob");
        var id = await CreateAsync(alice);
        await Api.ErrorAsync(await bob.GetAsync($"/v1/videos/{id}?wait=60", Ct), HttpStatusCode.NotFound);
        Assert.Equal(0, _app.Service<TaskChanges>().Watching);
    }
}
