using System.Net;
using Microsoft.Extensions.Time.Testing;
using Vidgate.Server.Workers;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Workers;

/// <summary>Results expire after the retention period: content removed by the sweeper, then a clear video_expired.</summary>
public sealed class RetentionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Content_expires_after_the_retention_period_and_then_reads_say_video_expired()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var app = new VidgateApp(clock: clock, settings: new() { ["Vidgate:Retention"] = "2.00:00:00" });
        using var client = await app.NewUserAsync();
        var created = await client.CreateAsync(new { model = "grok-imagine-video", prompt = "short lived", seconds = 1, resolution = "480P" });
        var id = created.GetProperty("id").GetString()!;
        var done = await client.WaitForAsync(id, "completed");
        Assert.Equal(clock.GetUtcNow().AddDays(2).ToUnixTimeSeconds(), done.GetProperty("expires_at").GetInt64());
        var link = new Uri(done.GetProperty("video_url").GetString()!).PathAndQuery;

        // Just before expiry nothing is removed.
        clock.Advance(TimeSpan.FromDays(2) - TimeSpan.FromMinutes(1));
        await app.Service<Sweeper>().SweepOnceAsync(Ct);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/v1/videos/{id}/content", Ct)).StatusCode);

        clock.Advance(TimeSpan.FromMinutes(2));
        await app.Service<Sweeper>().SweepOnceAsync(Ct);
        Assert.False(Directory.Exists(Path.Combine(app.DataDir, "blobs", "videos", id)));

        var error = await Api.ErrorAsync(await client.GetAsync($"/v1/videos/{id}/content", Ct), HttpStatusCode.NotFound);
        Assert.Equal("video_expired", error.GetProperty("code").GetString());
        var thumbnail = await Api.ErrorAsync(await client.GetAsync($"/v1/videos/{id}/content?variant=thumbnail", Ct), HttpStatusCode.NotFound);
        Assert.Equal("video_expired", thumbnail.GetProperty("code").GetString());

        var video = await client.GetVideoAsync(id);
        Assert.Equal("completed", video.GetProperty("status").GetString());
        Assert.Equal("", video.GetProperty("video_url").GetString());

        // The old signed link has expired too.
        using var anonymous = app.Client(key: null);
        await Api.ErrorAsync(await anonymous.GetAsync(link, Ct), HttpStatusCode.Forbidden);
    }
}
