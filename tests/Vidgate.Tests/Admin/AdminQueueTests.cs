using System.Net;
using Microsoft.Extensions.Time.Testing;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Admin;

/// <summary><c>GET /admin/queue</c>: unfinished tasks by state and provider, the oldest waiting, the oldest tasks; admins only.</summary>
public sealed class AdminQueueTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-06-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly VidgateApp _app;

    public AdminQueueTests() => _app = new VidgateApp(clock: _clock, settings: new() { ["Vidgate:Workers"] = "false" });

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task An_admin_sees_queued_tasks_counted_by_provider_the_oldest_wait_and_the_oldest_first()
    {
        using var admin = _app.Admin();
        var empty = await Api.OkJsonAsync(await admin.GetAsync("/admin/queue", Ct));
        Assert.Equal(0, empty.GetProperty("total").GetInt64());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, empty.GetProperty("oldest_waiting_seconds").ValueKind);
        Assert.Equal(["queued", "submitting", "running", "tracking", "finishing"], empty.GetProperty("states").EnumerateObject().Select(p => p.Name));

        using var user = await _app.NewUserAsync("queuer");
        var first = (await user.CreateAsync(new { model = "grok-imagine-video", prompt = "one", seconds = 1 })).GetProperty("id").GetString()!;
        _clock.Advance(TimeSpan.FromSeconds(30));
        var second = (await user.CreateAsync(new { model = "sora-2", prompt = "two", seconds = "4", size = "1280x720" })).GetProperty("id").GetString()!;
        _clock.Advance(TimeSpan.FromSeconds(60));
        var cancelled = (await user.CreateAsync(new { model = "grok-imagine-video", prompt = "three", seconds = 1 })).GetProperty("id").GetString()!;
        await Api.OkJsonAsync(await user.PostAsync($"/v1/videos/{cancelled}/cancel", null, Ct));

        var queue = await Api.OkJsonAsync(await admin.GetAsync("/admin/queue", Ct));

        Assert.Equal("admin.queue", queue.GetProperty("object").GetString());
        Assert.Equal(2, queue.GetProperty("total").GetInt64());
        Assert.Equal(2, queue.GetProperty("states").GetProperty("queued").GetInt64());
        Assert.Equal(0, queue.GetProperty("states").GetProperty("running").GetInt64());
        Assert.Equal(90, queue.GetProperty("oldest_waiting_seconds").GetInt64());
        var provider = Assert.Single(queue.GetProperty("providers").EnumerateArray());
        Assert.Equal(("builtin", 2L, 2L), (provider.GetProperty("provider").GetString(), provider.GetProperty("total").GetInt64(), provider.GetProperty("states").GetProperty("queued").GetInt64()));
        var tasks = queue.GetProperty("tasks").EnumerateArray().ToList();
        Assert.Equal([first, second], tasks.Select(t => t.GetProperty("id").GetString()));
        Assert.Equal(("sora-2", "queued", 60L), (tasks[1].GetProperty("model").GetString(), tasks[1].GetProperty("state").GetString(), tasks[1].GetProperty("age_seconds").GetInt64()));
        Assert.StartsWith("acct_", tasks[0].GetProperty("account_id").GetString(), StringComparison.Ordinal);

        var one = await Api.OkJsonAsync(await admin.GetAsync("/admin/queue?limit=1", Ct));
        Assert.Equal([first], one.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("id").GetString()));
        Assert.Empty((await Api.OkJsonAsync(await admin.GetAsync("/admin/queue?limit=0", Ct))).GetProperty("tasks").EnumerateArray());
    }

    [Fact]
    public async Task A_user_key_gets_a_403_and_a_bad_limit_a_400()
    {
        using var user = await _app.NewUserAsync("nosy");
        await user.CreateAsync(new { model = "grok-imagine-video", prompt = "mine", seconds = 1 });
        var refused = await Api.ErrorAsync(await user.GetAsync("/admin/queue", Ct), HttpStatusCode.Forbidden);
        Assert.Equal("admin_required", refused.GetProperty("code").GetString());
        await Api.ErrorAsync(await _app.Client(null).GetAsync("/admin/queue", Ct), HttpStatusCode.Unauthorized);

        using var admin = _app.Admin();
        foreach (var limit in new[] { "-1", "201", "x", "1.5", "%00" })
        {
            var error = await Api.ErrorAsync(await admin.GetAsync($"/admin/queue?limit={limit}", Ct), HttpStatusCode.BadRequest);
            Assert.Equal("limit", error.GetProperty("param").GetString());
        }
    }
}
