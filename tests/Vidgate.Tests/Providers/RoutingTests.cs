using System.Net.Http.Json;
using System.Text.Json;
using Vidgate.Fakes;
using Vidgate.Tests.Billing;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Providers;

/// <summary>Routes as data: failover before acceptance, none after, priority and weight, pinning.</summary>
[Collection(UpstreamCollection.Name)]
public sealed class RoutingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static object Body(string prompt) => new { model = "grok-imagine-video", prompt, seconds = "2", resolution = "480P" };

    [Theory]
    [InlineData(FakeFault.ServerError)]
    [InlineData(FakeFault.RateLimited)]
    [InlineData(FakeFault.Reset)]
    [InlineData(FakeFault.Timeout)]
    public async Task A_submit_the_first_route_cannot_take_moves_to_the_next_route(FakeFault fault)
    {
        await using var h = await XaiHarness.StartAsync(upstreams: 2, requestTimeoutSeconds: 2);
        h.Fakes[0].FailNextSubmits(fault);
        using var user = await h.App.NewUserAsync();

        var created = await user.CreateAsync(Body("a harbour at dawn [fake:seconds=0.5]"));
        await user.WaitForAsync(created.GetProperty("id").GetString()!, "completed", TimeSpan.FromSeconds(30));

        Assert.Equal(1, h.Fakes[0].Submits);
        Assert.Equal(0, h.Fakes[0].Accepted);
        Assert.Equal(1, h.Fakes[1].Accepted);
    }

    [Fact]
    public async Task A_refused_connection_moves_to_the_next_route()
    {
        await using var h = await XaiHarness.StartAsync(upstreams: 2);
        await h.Fakes[0].DisposeAsync();
        using var user = await h.App.NewUserAsync();

        var created = await user.CreateAsync(Body("a closed door [fake:seconds=0.5]"));
        await user.WaitForAsync(created.GetProperty("id").GetString()!, "completed", TimeSpan.FromSeconds(30));
        Assert.Equal(1, h.Fakes[1].Accepted);
    }

    [Fact]
    public async Task A_429_pauses_that_instance_so_the_next_task_goes_straight_to_the_next_route()
    {
        await using var h = await XaiHarness.StartAsync(upstreams: 2);
        h.Fakes[0].Options.RetryAfter = TimeSpan.FromSeconds(60);
        h.Fakes[0].FailNextSubmits(FakeFault.RateLimited);
        using var user = await h.App.NewUserAsync();

        var first = await user.CreateAsync(Body("first [fake:seconds=0.5]"));
        await user.WaitForAsync(first.GetProperty("id").GetString()!, "completed", TimeSpan.FromSeconds(30));
        var second = await user.CreateAsync(Body("second [fake:seconds=0.5]"));
        await user.WaitForAsync(second.GetProperty("id").GetString()!, "completed", TimeSpan.FromSeconds(30));

        Assert.Equal(1, h.Fakes[0].Submits);
        Assert.Equal(2, h.Fakes[1].Accepted);
    }

    [Fact]
    public async Task A_rejected_request_fails_without_trying_another_route()
    {
        await using var h = await XaiHarness.StartAsync(upstreams: 2);
        using var user = await h.App.NewUserAsync();

        var created = await user.CreateAsync(Body("something forbidden [fake:reject]"));
        var failed = await user.WaitForAsync(created.GetProperty("id").GetString()!, "failed", TimeSpan.FromSeconds(30));

        Assert.Equal("moderation_blocked", failed.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(1, h.Fakes[0].Submits);
        Assert.Equal(0, h.Fakes[1].Submits);
    }

    [Fact]
    public async Task After_acceptance_a_task_stays_on_its_instance_whatever_its_polls_say()
    {
        await using var h = await XaiHarness.StartAsync(upstreams: 2);
        h.Fakes[0].FailNextPolls(FakeFault.ServerError, 4);
        h.Fakes[0].FailNextPolls(FakeFault.Reset, 2);
        using var user = await h.App.NewUserAsync();

        var created = await user.CreateAsync(Body("stay here [fake:seconds=1]"));
        await user.WaitForAsync(created.GetProperty("id").GetString()!, "completed", TimeSpan.FromSeconds(40));

        Assert.Equal(1, h.Fakes[0].Accepted);
        Assert.Equal(0, h.Fakes[1].Submits);
    }

    [Fact]
    public async Task When_every_route_is_unavailable_the_task_waits_and_is_tried_again()
    {
        await using var h = await XaiHarness.StartAsync(upstreams: 2);
        h.Fakes[0].FailNextSubmits(FakeFault.ServerError);
        h.Fakes[1].FailNextSubmits(FakeFault.ServerError);
        using var user = await h.App.NewUserAsync();

        var created = await user.CreateAsync(Body("patience [fake:seconds=0.5]"));
        var id = created.GetProperty("id").GetString()!;
        await user.WaitForAsync(id, "completed", TimeSpan.FromSeconds(30));

        Assert.Equal(2, h.Fakes[0].Submits);
        Assert.Equal(1, h.Fakes[0].Accepted);
        Assert.Equal(1, h.Fakes[1].Submits);
    }

    [Fact]
    public async Task Routes_of_equal_priority_share_tasks_by_weight()
    {
        await using var h = await XaiHarness.StartAsync(upstreams: 2, configure: false);
        await AddAsync(h, "light", h.Fakes[0], priority: 5, weight: 1);
        await AddAsync(h, "heavy", h.Fakes[1], priority: 5, weight: 9);
        // The admin's account (unlimited tier): a default-tier account may have only 8 videos in flight.
        using var user = h.App.Admin();

        var ids = new List<string>();
        for (var i = 0; i < 40; i++)
        {
            ids.Add((await user.CreateAsync(Body($"share {i} [fake:seconds=0.2]"))).GetProperty("id").GetString()!);
        }

        foreach (var id in ids)
        {
            await user.WaitForAsync(id, "completed", TimeSpan.FromSeconds(60));
        }

        Assert.Equal(40, h.Fakes[0].Accepted + h.Fakes[1].Accepted);
        Assert.True(h.Fakes[1].Accepted > 2 * h.Fakes[0].Accepted, $"heavy {h.Fakes[1].Accepted}, light {h.Fakes[0].Accepted}");
    }

    [Fact]
    public async Task A_remix_goes_to_the_instance_that_made_its_source()
    {
        await using var h = await XaiHarness.StartAsync(upstreams: 2);
        using var user = await h.App.NewUserAsync();
        var source = await user.CreateAsync(Body("the original [fake:seconds=0.5]"));
        var sourceId = source.GetProperty("id").GetString()!;
        await user.WaitForAsync(sourceId, "completed", TimeSpan.FromSeconds(30));
        Assert.Equal(1, h.Fakes[0].Accepted);

        // The route that made it is gone; new tasks now go to the other instance, but the remix stays pinned.
        using var admin = h.App.Admin();
        var routes = await Api.OkJsonAsync(await admin.GetAsync("/admin/routes?model=grok-imagine-video", Ct));
        var first = routes.GetProperty("data").EnumerateArray().Single(r => r.GetProperty("provider").GetString() == "xai-0");
        await Api.OkJsonAsync(await admin.DeleteAsync($"/admin/routes/{first.GetProperty("id").GetString()}", Ct));

        var remix = await Api.OkJsonAsync(await user.PostAsJsonAsync($"/v1/videos/{sourceId}/remix", new { prompt = "the remix [fake:seconds=0.5]" }, Ct));
        await WaitCompletedAsync(user, remix.GetProperty("id").GetString()!);
        var other = await user.CreateAsync(Body("a new one [fake:seconds=0.5]"));
        await user.WaitForAsync(other.GetProperty("id").GetString()!, "completed", TimeSpan.FromSeconds(30));

        Assert.Equal(2, h.Fakes[0].Accepted);
        Assert.Equal(1, h.Fakes[1].Accepted);
    }

    [Fact]
    public async Task A_refused_key_moves_the_task_to_the_instance_s_next_key_and_sits_out_of_the_rotation()
    {
        await using var h = await XaiHarness.StartAsync(upstreams: 1, configure: false);
        await AddKeysAsync(h, "two-keys", h.Fake, "xai-revoked-" + Guid.NewGuid().ToString("N"), h.Fake.Options.ApiKey);
        using var user = await h.App.NewUserAsync();

        for (var i = 0; i < 3; i++)
        {
            var created = await user.CreateAsync(Body($"key rotation {i} [fake:seconds=0.3]"));
            await user.WaitForAsync(created.GetProperty("id").GetString()!, "completed", TimeSpan.FromSeconds(30));
        }

        // The revoked key (first in turn) was tried once; after that every task went to the good key at the first try.
        Assert.Equal(3, h.Fake.Accepted);
        Assert.Equal(4, h.Fake.Submits);
    }

    [Fact]
    public async Task When_every_key_is_refused_the_task_fails_at_once_costs_nothing_and_a_key_fix_takes_effect()
    {
        await using var h = await XaiHarness.StartAsync(upstreams: 1, configure: false);
        string[] revoked = ["xai-revoked-a-" + Guid.NewGuid().ToString("N"), "xai-revoked-b-" + Guid.NewGuid().ToString("N")];
        await AddKeysAsync(h, "stale", h.Fake, revoked);
        var (key, accountId) = await h.App.NewKeyAsync("refused");
        await h.App.TopUpAsync(accountId, 1_000_000_000);
        using var user = h.App.Client(key);
        var before = await Books.ReadAsync(h.App, accountId);

        var first = await user.CreateAsync(Body("nobody lets me in [fake:seconds=0.3]"));
        var failed = await user.WaitForAsync(first.GetProperty("id").GetString()!, "failed", TimeSpan.FromSeconds(30));
        var error = failed.GetProperty("error");
        Assert.Equal("upstream_auth_failed", error.GetProperty("code").GetString());
        Assert.DoesNotContain(revoked, k => failed.ToString().Contains(k, StringComparison.Ordinal));
        Assert.Equal((2, 0), (h.Fake.Submits, h.Fake.Accepted));
        var after = await Books.ReadAsync(h.App, accountId);
        Assert.Equal((before.Balance, 0L, 0), (after.Balance, after.Held, after.InFlight));

        // While both keys sit out their pause, the next task fails without a call to the upstream.
        var second = await user.CreateAsync(Body("still locked out [fake:seconds=0.3]"));
        await user.WaitForAsync(second.GetProperty("id").GetString()!, "failed", TimeSpan.FromSeconds(30));
        Assert.Equal(2, h.Fake.Submits);

        // The operator puts in a working key: the edit rebuilds the instance and the next task goes through.
        using var admin = h.App.Admin();
        await Api.OkJsonAsync(await admin.PutAsJsonAsync("/admin/providers/stale",
            new { type = "xai", base_url = h.Fake.BaseUrl.ToString(), api_keys = new[] { h.Fake.Options.ApiKey } }, Ct));
        var third = await user.CreateAsync(Body("the door opens [fake:seconds=0.3]"));
        await user.WaitForAsync(third.GetProperty("id").GetString()!, "completed", TimeSpan.FromSeconds(30));
        Assert.Equal((3, 1), (h.Fake.Submits, h.Fake.Accepted));
    }

    private static async Task AddKeysAsync(XaiHarness h, string id, FakeXaiUpstream fake, params string[] keys)
    {
        using var admin = h.App.Admin();
        await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/providers", new { id, type = "xai", base_url = fake.BaseUrl.ToString(), api_keys = keys }, Ct));
        await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/routes", new { model = "grok-imagine-video", provider = id }, Ct));
    }

    private static async Task WaitCompletedAsync(HttpClient user, string id)
    {
        for (var i = 0; i < 300; i++)
        {
            var video = await user.GetVideoAsync(id);
            if (video.GetProperty("status").GetString() == "completed")
            {
                return;
            }

            Assert.NotEqual("failed", video.GetProperty("status").GetString());
            await Task.Delay(100, Ct);
        }

        Assert.Fail($"{id} did not complete");
    }

    private static async Task AddAsync(XaiHarness h, string id, FakeXaiUpstream fake, int priority, int weight)
    {
        using var admin = h.App.Admin();
        await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/providers",
            new { id, type = "xai", base_url = fake.BaseUrl.ToString(), api_keys = new[] { fake.Options.ApiKey } }, Ct));
        await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/routes", new { model = "grok-imagine-video", provider = id, priority, weight }, Ct));
    }
}
