using System.Net.Http.Json;
using System.Text.Json;
using Vidgate.Fakes;
using Vidgate.Server.Providers.Registry;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Providers;

/// <summary>
/// The breaker in routing, end to end on the fake xAI upstream: an instance that fails submits in a row is skipped by
/// the next tasks (they go to the next route without trying it), and <c>GET /admin/providers</c> shows why.
/// </summary>
public sealed class BreakerRoutingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static object Body(string prompt) => new { model = "grok-imagine-video", prompt, seconds = "2", resolution = "480P" };

    [Fact]
    public async Task An_instance_failing_submits_in_a_row_is_skipped_while_open_and_the_admin_view_shows_it()
    {
        await using var h = await XaiHarness.StartAsync(upstreams: 2);
        h.Fakes[0].FailNextSubmits(FakeFault.ServerError, InstanceHealth.FailureThreshold + 5);
        using var user = await h.App.NewUserAsync();

        for (var i = 0; i < InstanceHealth.FailureThreshold + 2; i++)
        {
            var created = await user.CreateAsync(Body($"task {i} [fake:seconds=0.2]"));
            await user.WaitForAsync(created.GetProperty("id").GetString()!, "completed", TimeSpan.FromSeconds(30));
        }

        // Only the failures that opened it reached the first instance; every task completed on the second.
        Assert.Equal(InstanceHealth.FailureThreshold, h.Fakes[0].Submits);
        Assert.Equal(InstanceHealth.FailureThreshold + 2, h.Fakes[1].Accepted);

        using var admin = h.App.Admin();
        var providers = (await Api.OkJsonAsync(await admin.GetAsync("/admin/providers", Ct))).GetProperty("data").EnumerateArray()
            .ToDictionary(p => p.GetProperty("id").GetString()!);
        var failing = providers["xai-0"];
        Assert.Equal("open", failing.GetProperty("state").GetString());
        Assert.Equal(0.0, failing.GetProperty("success_rate").GetDouble());
        Assert.False(string.IsNullOrEmpty(failing.GetProperty("last_error").GetString()));
        Assert.Equal((1, 0), (failing.GetProperty("api_key_count").GetInt32(), failing.GetProperty("bad_key_count").GetInt32()));
        Assert.DoesNotContain(h.Fakes[0].Options.ApiKey, failing.GetRawText(), StringComparison.Ordinal);

        var healthy = providers["xai-1"];
        Assert.Equal(("closed", 1.0, JsonValueKind.Null), (healthy.GetProperty("state").GetString(), healthy.GetProperty("success_rate").GetDouble(), healthy.GetProperty("last_error").ValueKind));
        Assert.True(healthy.GetProperty("p50_latency_ms").GetDouble() >= 0);
        Assert.Equal(0, healthy.GetProperty("jobs_in_flight").GetInt32());
    }

    [Fact]
    public async Task The_test_route_checks_every_key_with_the_cheapest_call_and_marks_a_refused_one_bad()
    {
        await using var h = await XaiHarness.StartAsync(upstreams: 1);
        using var admin = h.App.Admin();

        var good = await Api.OkJsonAsync(await admin.PostAsync("/admin/providers/xai-0/test", null, Ct));
        Assert.Equal((true, "GET /v1/models", JsonValueKind.Null), (good.GetProperty("ok").GetBoolean(), good.GetProperty("checked").GetString(), good.GetProperty("error").ValueKind));
        Assert.True(good.GetProperty("latency_ms").GetInt64() >= 0);

        // A second instance on the same upstream with one good key and one it refuses.
        await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/providers", new
        {
            id = "xai-mixed",
            type = "xai",
            base_url = h.Fake.BaseUrl.ToString(),
            api_keys = new[] { h.Fake.Options.ApiKey, "xai-revoked-key-0123456789" },
        }, Ct));
        var response = await admin.PostAsync("/admin/providers/xai-mixed/test", null, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        var bad = await Api.OkJsonAsync(response);
        Assert.False(bad.GetProperty("ok").GetBoolean());
        Assert.Equal("bad_credentials", bad.GetProperty("error").GetProperty("code").GetString());
        Assert.StartsWith("key #1", bad.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("xai-revoked-key", text, StringComparison.Ordinal);
        Assert.DoesNotContain(h.Fake.Options.ApiKey, text, StringComparison.Ordinal);

        var listed = await Api.OkJsonAsync(await admin.GetAsync("/admin/providers/xai-mixed", Ct));
        Assert.Equal((2, 1, "closed"), (listed.GetProperty("api_key_count").GetInt32(), listed.GetProperty("bad_key_count").GetInt32(), listed.GetProperty("state").GetString()));

        Assert.Equal("provider_not_found", (await Api.ErrorAsync(await admin.PostAsync("/admin/providers/nobody/test", null, Ct), System.Net.HttpStatusCode.NotFound)).GetProperty("code").GetString());
        Assert.Equal("provider_not_found", (await Api.ErrorAsync(await admin.PostAsync("/admin/providers/builtin/test", null, Ct), System.Net.HttpStatusCode.NotFound)).GetProperty("code").GetString());
        using var user = await h.App.NewUserAsync();
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await user.PostAsync("/admin/providers/xai-0/test", null, Ct)).StatusCode);
    }
}
