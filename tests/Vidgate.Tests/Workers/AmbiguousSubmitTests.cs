using System.Net;
using System.Net.Http.Json;
using Vidgate.Fakes;
using Vidgate.Tests.Billing;
using Vidgate.Tests.Providers;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Workers;

/// <summary>
/// <c>on_ambiguous_submit</c>: when a submit's answer is lost after the upstream made the job, <c>failover</c> (the
/// default) sends the task to the next route (the task is made; the first upstream made it too), <c>fail</c> fails it
/// with <c>upstream_ambiguous</c> and a full refund and never makes a second job. A refusal the upstream states itself
/// (429, a 500 with its error body, a refused connection) fails over under either setting.
/// </summary>
[Collection(UpstreamCollection.Name)]
public sealed class AmbiguousSubmitTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static object Body(string prompt) => new { model = "grok-imagine-video", prompt, seconds = "2", resolution = "480P" };

    [Theory]
    [InlineData(FakeFault.ResetAfterAccept)]
    [InlineData(FakeFault.TimeoutAfterAccept)]
    [InlineData(FakeFault.MalformedAfterAccept)]
    public async Task By_default_a_lost_answer_fails_over_and_the_first_upstream_has_made_the_job_too(FakeFault fault)
    {
        await using var h = await XaiHarness.StartAsync(upstreams: 2, requestTimeoutSeconds: 2);
        h.Fakes[0].FailNextSubmits(fault);
        using var user = await h.App.NewUserAsync();

        var created = await user.CreateAsync(Body("a lighthouse in fog [fake:seconds=0.3]"));
        await user.WaitForAsync(created.GetProperty("id").GetString()!, "completed", TimeSpan.FromSeconds(30));

        // The operator pays both upstreams for one video: the trade-off failover makes.
        Assert.Equal((1, 1, 1), (h.Fakes[0].Accepted, h.Fakes[0].LostAnswers, h.Fakes[1].Accepted));
        using var admin = h.App.Admin();
        var info = await Api.OkJsonAsync(await admin.GetAsync("/admin/providers/xai-0", Ct));
        Assert.Equal("failover", info.GetProperty("on_ambiguous_submit").GetString());
    }

    [Theory]
    [InlineData(FakeFault.ResetAfterAccept)]
    [InlineData(FakeFault.TimeoutAfterAccept)]
    [InlineData(FakeFault.MalformedAfterAccept)]
    public async Task With_fail_a_lost_answer_fails_the_task_refunded_and_no_second_job_is_made(FakeFault fault)
    {
        await using var h = await XaiHarness.StartAsync(upstreams: 2, requestTimeoutSeconds: 2);
        await SetAsync(h, "xai-0", "fail");
        h.Fakes[0].FailNextSubmits(fault);
        var (key, account) = await h.App.NewKeyAsync("ambiguous");
        await h.App.TopUpAsync(account, 1_000_000);
        var before = await Books.ReadAsync(h.App, account);
        using var user = h.App.Client(key);

        var id = (await user.CreateAsync(Body("a lighthouse in fog [fake:seconds=0.3]"))).GetProperty("id").GetString()!;
        var failed = await user.WaitForAsync(id, "failed", TimeSpan.FromSeconds(30));

        Assert.Equal("upstream_ambiguous", failed.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal((1, 0, 0), (h.Fakes[0].Accepted, h.Fakes[1].Submits, h.Fakes[1].Accepted));
        var after = await Books.ReadAsync(h.App, account);
        Assert.Equal((before.Balance, 0L, 0), (after.Balance, after.Held, after.InFlight));
        Assert.False((await Books.LedgerAsync(h.App, account)).ContainsKey("charge"));
    }

    [Theory]
    [InlineData(FakeFault.ServerError)]
    [InlineData(FakeFault.RateLimited)]
    public async Task With_fail_a_refusal_the_upstream_states_still_fails_over(FakeFault fault)
    {
        await using var h = await XaiHarness.StartAsync(upstreams: 2, requestTimeoutSeconds: 2);
        await SetAsync(h, "xai-0", "fail");
        h.Fakes[0].FailNextSubmits(fault);
        using var user = await h.App.NewUserAsync();

        var created = await user.CreateAsync(Body("a quiet pier [fake:seconds=0.3]"));
        await user.WaitForAsync(created.GetProperty("id").GetString()!, "completed", TimeSpan.FromSeconds(30));
        Assert.Equal((0, 1), (h.Fakes[0].Accepted, h.Fakes[1].Accepted));
    }

    [Fact]
    public async Task With_fail_a_refused_connection_still_fails_over()
    {
        await using var h = await XaiHarness.StartAsync(upstreams: 2, requestTimeoutSeconds: 2);
        await SetAsync(h, "xai-0", "fail");
        await h.Fakes[0].DisposeAsync();
        using var user = await h.App.NewUserAsync();

        var created = await user.CreateAsync(Body("a closed gate [fake:seconds=0.3]"));
        await user.WaitForAsync(created.GetProperty("id").GetString()!, "completed", TimeSpan.FromSeconds(30));
        Assert.Equal(1, h.Fakes[1].Accepted);
    }

    [Fact]
    public async Task The_setting_is_validated_shown_and_kept_until_a_put_changes_it()
    {
        await using var h = await XaiHarness.StartAsync(upstreams: 1, configure: false);
        using var admin = h.App.Admin();
        var error = await Api.ErrorAsync(await admin.PostJsonAsync("/admin/providers",
            """{"id":"amb-1","type":"xai","base_url":"https://api.x.ai","api_keys":["k"],"on_ambiguous_submit":"retry"}"""), HttpStatusCode.BadRequest);
        Assert.Equal(("on_ambiguous_submit", "invalid_value"), (error.GetProperty("param").GetString(), error.GetProperty("code").GetString()));
        await Api.ErrorAsync(await admin.PostJsonAsync("/admin/providers",
            """{"id":"amb-2","type":"xai","base_url":"https://api.x.ai","api_keys":["k"],"on_ambiguous_submit":1}"""), HttpStatusCode.BadRequest);

        var created = await Api.OkJsonAsync(await admin.PostJsonAsync("/admin/providers",
            """{"id":"amb-3","type":"xai","base_url":"https://api.x.ai","api_keys":["k"],"on_ambiguous_submit":"fail"}"""));
        Assert.Equal("fail", created.GetProperty("on_ambiguous_submit").GetString());
        var listed = await Api.OkJsonAsync(await admin.GetAsync("/admin/providers/amb-3", Ct));
        Assert.Equal("fail", listed.GetProperty("on_ambiguous_submit").GetString());

        // A PUT replaces the instance: leaving the field out goes back to the default, like the other settings.
        var replaced = await Api.OkJsonAsync(await admin.PutAsJsonAsync("/admin/providers/amb-3", new { type = "xai", base_url = "https://api.x.ai" }, Ct));
        Assert.Equal("failover", replaced.GetProperty("on_ambiguous_submit").GetString());
    }

    private static async Task SetAsync(XaiHarness h, string id, string value)
    {
        using var admin = h.App.Admin();
        var fake = h.Fakes[int.Parse(id[4..], System.Globalization.CultureInfo.InvariantCulture)];
        var info = await Api.OkJsonAsync(await admin.PutAsJsonAsync($"/admin/providers/{id}", new
        {
            type = "xai",
            base_url = fake.BaseUrl.ToString(),
            request_timeout_seconds = 2,
            on_ambiguous_submit = value,
        }, Ct));
        Assert.Equal(value, info.GetProperty("on_ambiguous_submit").GetString());
    }
}
