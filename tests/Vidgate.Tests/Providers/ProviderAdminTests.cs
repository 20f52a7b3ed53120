using System.Net;
using System.Net.Http.Json;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Providers;

/// <summary><c>/admin/providers</c> and <c>/admin/routes</c>: validation is a 4xx with the documented error shape.</summary>
public sealed class ProviderAdminTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static object Good(string id) => new { id, type = "xai", base_url = "https://api.x.ai", api_keys = new[] { "xai-admin-test-secret" } };

    public static TheoryData<string, string, string> BadProviders => new()
    {
        { """{"id":"ok-1","type":"nope","base_url":"https://api.x.ai","api_keys":["k"]}""", "type", "unknown_provider_type" },
        { """{"id":"Bad Id!","type":"xai","base_url":"https://api.x.ai","api_keys":["k"]}""", "id", "invalid_value" },
        { """{"type":"xai","base_url":"https://api.x.ai","api_keys":["k"]}""", "id", "invalid_value" },
        { """{"id":"ok-2","type":"xai","base_url":"ftp://api.x.ai","api_keys":["k"]}""", "base_url", "invalid_value" },
        { """{"id":"ok-3","type":"xai","base_url":"not a url","api_keys":["k"]}""", "base_url", "invalid_value" },
        { """{"id":"ok-4","type":"xai","base_url":"https://api.x.ai","api_keys":[]}""", "api_keys", "invalid_value" },
        { """{"id":"ok-5","type":"xai","base_url":"https://api.x.ai"}""", "api_keys", "invalid_value" },
        { """{"id":"ok-6","type":"xai","base_url":"https://api.x.ai","api_keys":["k"],"request_timeout_seconds":0}""", "request_timeout_seconds", "invalid_value" },
        { """{"id":"ok-7","type":"xai","base_url":"https://api.x.ai","api_keys":["k"],"max_concurrent_jobs":-1}""", "max_concurrent_jobs", "invalid_value" },
        { """{"id":"ok-8","type":"xai","base_url":"https://api.x.ai","api_keys":["k"],"options":{"x":1}}""", "options", "invalid_provider_settings" },
        { """{"id":"ok-9","type":"xai","base_url":"https://api.x.ai/v1","api_keys":["k"]}""", "options", "invalid_provider_settings" },
        { """{"id":"ok-10","type":"xai","base_url":"https://api.x.ai","api_keys":["k"],"options":[1]}""", "options", "invalid_value" },
        { """{"id":"ok-11","type":"xai",""", "body", "invalid_json" },
        { """{"id":"ok-12","type":"xai","base_url":"https://api.x.ai","api_keys":"k"}""", "body", "invalid_json" },
    };

    [Theory]
    [MemberData(nameof(BadProviders))]
    public async Task A_bad_provider_is_a_400_naming_the_field(string body, string param, string code)
    {
        using var admin = fixture.App.Admin();
        var error = await Api.ErrorAsync(await admin.PostJsonAsync("/admin/providers", body), HttpStatusCode.BadRequest);
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Keys_go_in_but_never_come_out()
    {
        using var admin = fixture.App.Admin();
        var created = await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/providers", Good("keys-hidden"), Ct));
        Assert.Equal(1, created.GetProperty("api_key_count").GetInt32());

        foreach (var path in new[] { "/admin/providers", "/admin/providers/keys-hidden" })
        {
            var text = await (await admin.GetAsync(path, Ct)).Content.ReadAsStringAsync(Ct);
            Assert.Contains("keys-hidden", text);
            Assert.DoesNotContain("xai-admin-test-secret", text);
            Assert.DoesNotContain("api_keys", text);
        }

        // A PUT without api_keys keeps them.
        var updated = await Api.OkJsonAsync(await admin.PutAsJsonAsync("/admin/providers/keys-hidden",
            new { type = "xai", base_url = "https://api.x.ai", max_requests_per_second = 5 }, Ct));
        Assert.Equal(1, updated.GetProperty("api_key_count").GetInt32());
        Assert.Equal(5, updated.GetProperty("max_requests_per_second").GetDouble());
    }

    [Fact]
    public async Task A_duplicate_provider_is_a_409_and_an_unknown_one_a_404()
    {
        using var admin = fixture.App.Admin();
        await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/providers", Good("twice"), Ct));
        Assert.Equal("provider_exists", (await Api.ErrorAsync(await admin.PostAsJsonAsync("/admin/providers", Good("twice"), Ct), HttpStatusCode.Conflict)).GetProperty("code").GetString());
        await Api.ErrorAsync(await admin.GetAsync("/admin/providers/nobody", Ct), HttpStatusCode.NotFound);
        await Api.ErrorAsync(await admin.PutAsJsonAsync("/admin/providers/nobody", Good("nobody"), Ct), HttpStatusCode.NotFound);
        await Api.ErrorAsync(await admin.DeleteAsync("/admin/providers/nobody", Ct), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Bad_routes_are_400s_and_a_provider_with_routes_cannot_be_deleted()
    {
        using var admin = fixture.App.Admin();
        await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/providers", Good("routed"), Ct));
        // A model not in the catalog, a provider that does not exist, out-of-range numbers.
        Assert.Equal("unknown_model", (await Api.ErrorAsync(await admin.PostAsJsonAsync("/admin/routes", new { model = "nope", provider = "routed" }, Ct), HttpStatusCode.BadRequest)).GetProperty("code").GetString());
        Assert.Equal("unknown_provider", (await Api.ErrorAsync(await admin.PostAsJsonAsync("/admin/routes", new { model = "sora-2", provider = "ghost" }, Ct), HttpStatusCode.BadRequest)).GetProperty("code").GetString());
        await Api.ErrorAsync(await admin.PostAsJsonAsync("/admin/routes", new { model = "sora-2", provider = "routed", weight = 0 }, Ct), HttpStatusCode.BadRequest);
        await Api.ErrorAsync(await admin.PostAsJsonAsync("/admin/routes", new { model = "sora-2", provider = "routed", priority = -1 }, Ct), HttpStatusCode.BadRequest);
        await Api.ErrorAsync(await admin.PostAsJsonAsync("/admin/routes", new { model = "sora-2" }, Ct), HttpStatusCode.BadRequest);
        await Api.ErrorAsync(await admin.PostJsonAsync("/admin/routes", "[]"), HttpStatusCode.BadRequest);

        var route = await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/routes", new { model = "sora-2-pro", provider = "routed", priority = 3, weight = 2 }, Ct));
        Assert.Equal("provider_has_routes", (await Api.ErrorAsync(await admin.DeleteAsync("/admin/providers/routed", Ct), HttpStatusCode.Conflict)).GetProperty("code").GetString());
        await Api.OkJsonAsync(await admin.DeleteAsync($"/admin/routes/{route.GetProperty("id").GetString()}", Ct));
        await Api.OkJsonAsync(await admin.DeleteAsync("/admin/providers/routed", Ct));
        await Api.ErrorAsync(await admin.DeleteAsync($"/admin/routes/{route.GetProperty("id").GetString()}", Ct), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Only_admin_keys_reach_the_provider_api()
    {
        using var user = await fixture.App.NewUserAsync();
        await Api.ErrorAsync(await user.GetAsync("/admin/providers", Ct), HttpStatusCode.Forbidden);
        await Api.ErrorAsync(await user.PostAsJsonAsync("/admin/routes", new { model = "sora-2", provider = "x" }, Ct), HttpStatusCode.Forbidden);
        using var anonymous = fixture.App.Client(null);
        await Api.ErrorAsync(await anonymous.GetAsync("/admin/providers", Ct), HttpStatusCode.Unauthorized);
    }
}
