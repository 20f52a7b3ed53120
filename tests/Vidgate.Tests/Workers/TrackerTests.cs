using Vidgate.Tests.Providers;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Workers;

/// <summary>Many upstream tasks at once: all finish, none waits behind another, and polls per task stay few.</summary>
[Collection(UpstreamCollection.Name)]
public sealed class TrackerTests
{
    [Fact]
    public async Task A_hundred_tasks_in_flight_all_complete_with_few_polls_each()
    {
        await using var h = await XaiHarness.StartAsync(settings: new()
        {
            // The shipped schedule, not the harness's fast one: this is what polls per task are judged on.
            ["Vidgate:Upstreams:MinPollInterval"] = "00:00:01",
            ["Vidgate:Upstreams:MaxPollInterval"] = "00:00:10",
            ["Vidgate:Upstreams:MaxBlindPollInterval"] = "00:00:04",
        });
        h.Fake.Options.MinJob = TimeSpan.FromSeconds(2);
        h.Fake.Options.MaxJob = TimeSpan.FromSeconds(8);
        // The admin's account (unlimited tier): a default-tier account may have only 8 videos in flight.
        using var user = h.App.Admin();

        var ids = new List<string>();
        for (var i = 0; i < 100; i++)
        {
            ids.Add((await user.CreateAsync(new { model = "grok-imagine-video", prompt = $"crowd {i}", seconds = "2" })).GetProperty("id").GetString()!);
        }

        foreach (var id in ids)
        {
            await user.WaitForAsync(id, "completed", TimeSpan.FromSeconds(90));
        }

        Assert.Equal(100, h.Fake.Accepted);
        var perTask = h.Fake.Polls / 100.0;
        Assert.InRange(perTask, 2, 12);
    }
}
