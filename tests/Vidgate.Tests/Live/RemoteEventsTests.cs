using Vidgate.Tests.Providers;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Live;

/// <summary>
/// A video made by a remote upstream (the fake xAI): its progress reaches the stream from the tracker's polls. The
/// stream re-reads on a timer only every 10 minutes here, so every event came from a change hint of the upstream-job
/// store (progress) or the task store (the ending).
/// </summary>
[Collection(UpstreamCollection.Name)]
public sealed class RemoteEventsTests
{
    [Fact]
    public async Task An_upstream_jobs_polled_progress_is_streamed_and_the_stream_ends_with_completed()
    {
        await using var h = await XaiHarness.StartAsync(settings: new() { ["Vidgate:Live:RecheckInterval"] = "00:10:00" });
        using var user = await h.App.NewUserAsync();
        var created = await user.CreateAsync(new { model = "grok-imagine-video", prompt = "a harbour at dawn [fake:seconds=3]", seconds = "2", resolution = "480P" });
        var id = created.GetProperty("id").GetString()!;

        await using var stream = await EventStream.OpenAsync(user, $"/v1/videos/{id}/events");
        var events = await stream.ReadToEndAsync();
        var progress = events.Select(e => e.Json.GetProperty("progress").GetInt32()).ToList();
        Assert.Equal(progress.Order(), progress);
        Assert.True(progress.Count(p => p is > 0 and < 100) >= 2, $"too little upstream progress streamed: {string.Join(", ", progress)}");
        Assert.Equal("completed", events[^1].Json.GetProperty("status").GetString());
        Assert.True(h.Fake.PollsOf(h.Fake.Requests.Keys.Single()) >= 2);
    }
}
