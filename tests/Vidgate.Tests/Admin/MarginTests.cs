using System.Net;
using System.Net.Http.Json;
using Vidgate.Fakes;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Admin;

/// <summary>
/// <c>GET /admin/usage/margin</c>: a video on an upstream that reports its cost (the fake xAI) is set against its charge;
/// a local render (no upstream cost) is counted apart, never as free.
/// </summary>
public sealed class MarginTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_known_upstream_cost_makes_a_margin_and_a_local_render_is_cost_unknown()
    {
        await using var fake = await FakeXaiUpstream.StartAsync(new FakeXaiOptions { CostTicksPerSecond = 400_000_000 }, ct: Ct);
        using var app = new VidgateApp(settings: new() { ["Vidgate:Fetch:Allow:0"] = "127.0.0.0/8" });
        using var admin = app.Admin();
        await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/providers", new { id = "xai-margin", type = "xai", base_url = fake.BaseUrl.ToString(), api_keys = new[] { fake.Options.ApiKey } }, Ct));
        await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/models", new { name = "margin-video" }, Ct));
        await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/routes", new { model = "margin-video", provider = "xai-margin" }, Ct));
        foreach (var resolution in new[] { 480, 720 })
        {
            Assert.True((await admin.PutAsJsonAsync("/admin/prices", new { model = "margin-video", resolution, per_second_micros = 100_000, per_image_micros = 0 }, Ct)).IsSuccessStatusCode);
        }

        using var user = await app.NewUserAsync("margin");
        var remote = (await user.CreateAsync(new { model = "margin-video", prompt = "a harbour", seconds = 2, resolution = "480P" })).GetProperty("id").GetString()!;
        var local = (await user.CreateAsync(new { model = "grok-imagine-video", prompt = "a meadow", seconds = 1, resolution = "480P" })).GetProperty("id").GetString()!;
        await user.WaitForAsync(remote, "completed");
        await user.WaitForAsync(local, "completed");

        var report = await Api.OkJsonAsync(await admin.GetAsync("/admin/usage/margin", Ct));
        var rows = report.GetProperty("data").EnumerateArray().ToList();
        var costed = Assert.Single(rows, r => r.GetProperty("model").GetString() == "margin-video");
        Assert.Equal("xai-margin", costed.GetProperty("provider").GetString());
        // Charged on the delivered seconds (the fake's clip may be shorter than asked), 0.10 a second.
        var charged = costed.GetProperty("charged_micros").GetInt64();
        Assert.True(charged is 100_000 or 200_000, $"charged {charged}");
        Assert.Equal(charged, costed.GetProperty("cost_known_charged_micros").GetInt64());
        Assert.Equal(1, costed.GetProperty("cost_known_tasks").GetInt32());
        Assert.Equal("0.0800000000", costed.GetProperty("upstream_cost_usd").GetString());
        Assert.Equal(80_000, costed.GetProperty("upstream_cost_micros").GetInt64());
        Assert.Equal(charged - 80_000, costed.GetProperty("margin_micros").GetInt64());
        Assert.Equal(0, costed.GetProperty("cost_unknown_tasks").GetInt32());
        var unknown = Assert.Single(rows, r => r.GetProperty("model").GetString() == "grok-imagine-video");
        Assert.Equal(("builtin", 0, 1), (unknown.GetProperty("provider").GetString(), unknown.GetProperty("cost_known_tasks").GetInt32(), unknown.GetProperty("cost_unknown_tasks").GetInt32()));
        Assert.Equal(unknown.GetProperty("charged_micros").GetInt64(), unknown.GetProperty("cost_unknown_charged_micros").GetInt64());
        Assert.True(unknown.GetProperty("cost_unknown_charged_micros").GetInt64() > 0);
        Assert.Equal(0, unknown.GetProperty("margin_micros").GetInt64());
        var total = report.GetProperty("total");
        Assert.Equal((2, charged - 80_000), (total.GetProperty("tasks").GetInt32(), total.GetProperty("margin_micros").GetInt64()));

        // In another currency (0.5 units per USD) the cost is halved; filters narrow the rows.
        var euro = await Api.OkJsonAsync(await admin.GetAsync("/admin/usage/margin?currency_per_usd=0.5&model=margin-video", Ct));
        Assert.Equal((40_000L, charged - 40_000), (euro.GetProperty("data")[0].GetProperty("upstream_cost_micros").GetInt64(), euro.GetProperty("data")[0].GetProperty("margin_micros").GetInt64()));
        Assert.Equal("0.0800000000", euro.GetProperty("data")[0].GetProperty("upstream_cost_usd").GetString());
        Assert.Empty((await Api.OkJsonAsync(await admin.GetAsync("/admin/usage/margin?from=2000-01-01&to=2000-01-02", Ct))).GetProperty("data").EnumerateArray());
        await Api.ErrorAsync(await user.GetAsync("/admin/usage/margin", Ct), HttpStatusCode.Forbidden);
        foreach (var (query, param) in new[] { ("from=yesterday", "from"), ("to=2026-13-01", "to"), ("from=2026-02-02&to=2026-02-01", "to"), ("currency_per_usd=0", "currency_per_usd"), ("currency_per_usd=-1", "currency_per_usd"), ("currency_per_usd=abc", "currency_per_usd") })
        {
            Assert.Equal(param, (await Api.ErrorAsync(await admin.GetAsync("/admin/usage/margin?" + query, Ct), HttpStatusCode.BadRequest)).GetProperty("param").GetString());
        }
    }
}
