using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Accounts;

/// <summary>
/// A key's own <c>allowed_models</c> (narrowing its tier's) and <c>allowed_ips</c> (CIDR, IPv4 and IPv6): set at
/// creation, changed with <c>PATCH /admin/keys/{id}</c>; a fenced key used from elsewhere is a 403 before its body is read.
/// </summary>
public sealed class KeyLimitTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private VidgateApp App => fixture.App;

    [Fact]
    public async Task A_fenced_key_works_only_from_its_networks_and_is_refused_before_its_body_is_read()
    {
        var (key, id) = await KeyAsync(new { name = "fenced", allowed_ips = new[] { "203.0.113.0/24", "2001:db8::/32", "198.51.100.7" } });

        Assert.Equal(200, (await SendAsync(key, "203.0.113.7", "GET", "/v1/models")).Status);
        Assert.Equal(200, (await SendAsync(key, "2001:db8::1", "GET", "/v1/models")).Status);
        Assert.Equal(200, (await SendAsync(key, "198.51.100.7", "GET", "/v1/models")).Status);
        Assert.Equal(200, (await SendAsync(key, "::ffff:203.0.113.9", "GET", "/v1/models")).Status); // IPv4 on a dual-stack socket
        foreach (var outside in new[] { "198.51.100.8", "203.0.114.1", "2001:db9::1", "127.0.0.1" })
        {
            var (status, body) = await SendAsync(key, outside, "GET", "/v1/models");
            Assert.Equal((403, "ip_not_allowed"), (status, Code(body)));
        }

        // A broken body from outside is still a 403: nothing of the request was read.
        var refused = await SendAsync(key, "192.0.2.1", "POST", "/v1/videos", "{not json");
        Assert.Equal((403, "ip_not_allowed"), (refused.Status, Code(refused.Body)));
        Assert.Equal(400, (await SendAsync(key, "203.0.113.7", "POST", "/v1/videos", "{not json")).Status);

        // A PATCH of the rate limit keeps the fence; [] removes it.
        using var admin = App.Admin();
        var patched = await Api.OkJsonAsync(await admin.PatchAsJsonAsync($"/admin/keys/{id}", new { requests_per_minute = 50 }, Ct));
        Assert.Equal(["203.0.113.0/24", "2001:db8::/32", "198.51.100.7/32"], patched.GetProperty("allowed_ips").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(403, (await SendAsync(key, "192.0.2.1", "GET", "/v1/models")).Status);
        var opened = await Api.OkJsonAsync(await admin.PatchAsJsonAsync($"/admin/keys/{id}", new { allowed_ips = Array.Empty<string>() }, Ct));
        Assert.Equal(JsonValueKind.Null, opened.GetProperty("allowed_ips").ValueKind);
        Assert.Equal(200, (await SendAsync(key, "192.0.2.1", "GET", "/v1/models")).Status);
    }

    [Fact]
    public async Task A_keys_model_list_narrows_what_it_may_create_and_what_v1_models_lists()
    {
        var (key, id) = await KeyAsync(new { name = "narrow", allowed_models = new[] { "grok-imagine-video" } });
        using var user = App.Client(key);
        Assert.Equal(["grok-imagine-video"], await ModelsAsync(user));
        var refused = await Api.ErrorAsync(await user.PostAsJsonAsync("/v1/videos", new { model = "sora-2", prompt = "a boat", seconds = "4", size = "1280x720" }, Ct), HttpStatusCode.Forbidden);
        Assert.Equal(("model_not_allowed", "model"), (refused.GetProperty("code").GetString(), refused.GetProperty("param").GetString()));

        // Widening the key's own list never widens its tier: a tier of sora-2 only leaves the key nothing in common but sora-2.
        using var admin = App.Admin();
        await Api.OkJsonAsync(await admin.PatchAsJsonAsync($"/admin/keys/{id}", new { allowed_models = new[] { "sora-2", "grok-imagine-video" } }, Ct));
        Assert.Equal(["grok-imagine-video", "sora-2"], await ModelsAsync(user));
        await Api.OkJsonAsync(await admin.PutAsJsonAsync("/admin/tiers/sora-only", new { allowed_models = new[] { "sora-2" } }, Ct));
        var account = (await Api.OkJsonAsync(await admin.GetAsync("/admin/keys", Ct))).GetProperty("data").EnumerateArray()
            .First(k => k.GetProperty("id").GetString() == id).GetProperty("account_id").GetString();
        await Api.OkJsonAsync(await admin.PatchAsJsonAsync($"/admin/accounts/{account}", new { tier = "sora-only" }, Ct));
        Assert.Equal(["sora-2"], await ModelsAsync(user));

        // null removes the key's own list: the tier's applies.
        await Api.OkJsonAsync(await admin.PatchAsJsonAsync($"/admin/keys/{id}", new { allowed_models = (string[]?)null }, Ct));
        Assert.Equal(["sora-2"], await ModelsAsync(user));
    }

    public static TheoryData<string, string, string> BadLimits => new()
    {
        { """{"name":"k","allowed_ips":["10.0.0.1/8"]}""", "allowed_ips", "invalid_value" },
        { """{"name":"k","allowed_ips":["10/8"]}""", "allowed_ips", "invalid_value" },
        { """{"name":"k","allowed_ips":["1.2.3.4/33"]}""", "allowed_ips", "invalid_value" },
        { """{"name":"k","allowed_ips":["2001:db8::/129"]}""", "allowed_ips", "invalid_value" },
        { """{"name":"k","allowed_ips":["everywhere"]}""", "allowed_ips", "invalid_value" },
        { """{"name":"k","allowed_ips":[""]}""", "allowed_ips", "invalid_value" },
        { """{"name":"k","allowed_ips":[null]}""", "allowed_ips", "invalid_value" },
        { """{"name":"k","allowed_ips":"10.0.0.0/8"}""", "body", "invalid_json" },
        { """{"name":"k","allowed_models":["no-such-model"]}""", "allowed_models", "unknown_model" },
        { """{"name":"k","allowed_models":[""]}""", "allowed_models", "invalid_value" },
    };

    [Theory]
    [MemberData(nameof(BadLimits))]
    public async Task Bad_limits_are_400s_naming_the_field_at_creation_and_in_a_patch(string body, string param, string code)
    {
        using var admin = App.Admin();
        var created = await Api.ErrorAsync(await admin.PostJsonAsync("/admin/keys", body), HttpStatusCode.BadRequest);
        Assert.Equal((param, code), (created.GetProperty("param").GetString(), created.GetProperty("code").GetString()));

        var (_, id) = await KeyAsync(new { name = "patched" });
        var patch = await Api.ErrorAsync(await admin.PatchAsync($"/admin/keys/{id}", Json(body.Replace("\"name\":\"k\",", "", StringComparison.Ordinal)), Ct), HttpStatusCode.BadRequest);
        Assert.Equal((param, code), (patch.GetProperty("param").GetString(), patch.GetProperty("code").GetString()));
    }

    [Fact]
    public async Task Patching_an_unknown_key_is_a_404_and_a_non_object_body_a_400()
    {
        using var admin = App.Admin();
        await Api.ErrorAsync(await admin.PatchAsync("/admin/keys/key_missing", Json("""{"allowed_ips":["10.0.0.0/8"]}"""), Ct), HttpStatusCode.NotFound);
        var (_, id) = await KeyAsync(new { name = "shape" });
        Assert.Equal("invalid_json", (await Api.ErrorAsync(await admin.PatchAsync($"/admin/keys/{id}", Json("[1]"), Ct), HttpStatusCode.BadRequest)).GetProperty("code").GetString());
    }

    private async Task<(string Key, string Id)> KeyAsync(object body)
    {
        using var admin = App.Admin();
        var created = await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/keys", body, Ct));
        return (created.GetProperty("key").GetString()!, created.GetProperty("id").GetString()!);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<string?[]> ModelsAsync(HttpClient user)
        => [.. (await Api.OkJsonAsync(await user.GetAsync("/v1/models", Ct))).GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString())];

    private static string? Code(string body) => JsonDocument.Parse(body).RootElement.GetProperty("error").GetProperty("code").GetString();

    /// <summary>A request from <paramref name="remote"/> (the in-process client has no address), straight through the test server.</summary>
    private async Task<(int Status, string Body)> SendAsync(string key, string remote, string method, string path, string? body = null)
    {
        var context = await App.Server.SendAsync(http =>
        {
            http.Request.Method = method;
            http.Request.Path = path;
            http.Connection.RemoteIpAddress = IPAddress.Parse(remote);
            http.Request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key).ToString();
            if (body is not null)
            {
                http.Request.ContentType = "application/json";
                http.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
            }
        }, Ct);
        using var reader = new StreamReader(context.Response.Body, Encoding.UTF8);
        return (context.Response.StatusCode, await reader.ReadToEndAsync(Ct));
    }
}
