using System.Net;
using System.Net.Http.Json;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Webhooks;

/// <summary>Managing endpoints: the SSRF guard at registration, bad input as 400s, ownership, rotation, deletion.</summary>
public sealed class WebhookEndpointTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("http://127.0.0.1:9/hook")]
    [InlineData("http://localhost:9/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    [InlineData("http://10.1.2.3/hook")]
    [InlineData("http://192.168.0.10/hook")]
    [InlineData("http://[::1]:8080/hook")]
    [InlineData("http://[fd00:ec2::254]/")]
    public async Task A_url_the_SSRF_guard_refuses_is_a_400_at_registration(string url)
    {
        using var app = new VidgateApp();
        using var client = await app.NewUserAsync();
        var error = await Api.ErrorAsync(await client.PostAsJsonAsync("/v1/webhooks", new { url }, Ct), HttpStatusCode.BadRequest);
        Assert.Equal("url_not_allowed", error.GetProperty("code").GetString());
        Assert.Equal("url", error.GetProperty("param").GetString());
        Assert.Empty((await Api.OkJsonAsync(await client.GetAsync("/v1/webhooks", Ct))).GetProperty("data").EnumerateArray());
    }

    [Fact]
    public async Task Progress_events_are_had_only_by_asking_for_them()
    {
        using var app = new VidgateApp(settings: WebhookKit.Loopback());
        using var client = await app.NewUserAsync();
        var (plain, _) = await WebhookKit.RegisterAsync(client, "http://127.0.0.1:9/plain");
        var (asked, _) = await WebhookKit.RegisterAsync(client, "http://127.0.0.1:9/asked", ["video.progress", "video.completed"]);

        string[] EventsOf(System.Text.Json.JsonElement endpoint) => [.. endpoint.GetProperty("events").EnumerateArray().Select(e => e.GetString()!)];
        Assert.Equal(["video.completed", "video.failed", "video.cancelled"], EventsOf(await WebhookKit.EndpointAsync(client, plain)));
        Assert.Equal(["video.progress", "video.completed"], EventsOf(await WebhookKit.EndpointAsync(client, asked)));
    }

    [Fact]
    public async Task The_operators_allowlist_lets_a_private_address_register()
    {
        using var app = new VidgateApp(settings: new() { ["Vidgate:Fetch:Allow:0"] = "10.1.0.0/16" });
        using var client = await app.NewUserAsync();
        await WebhookKit.RegisterAsync(client, "http://10.1.2.3/hook");
        var error = await Api.ErrorAsync(await client.PostAsJsonAsync("/v1/webhooks", new { url = "http://10.2.0.1/hook" }, Ct), HttpStatusCode.BadRequest);
        Assert.Equal("url_not_allowed", error.GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("""{"url":"ftp://example.com/x"}""", "url", "invalid_url")]
    [InlineData("""{"url":"/relative/path"}""", "url", "invalid_url")]
    [InlineData("""{"url":"http://user:pw@example.com/x"}""", "url", "invalid_url")]
    [InlineData("""{"url":"https://example.com/x#frag"}""", "url", "invalid_url")]
    [InlineData("""{}""", "url", "missing_field")]
    [InlineData("""{"url":"   "}""", "url", "missing_field")]
    [InlineData("""{"url":"https://example.com/x","events":["video.exploded"]}""", "events", "invalid_event")]
    [InlineData("""{"url":"https://example.com/x","events":[]}""", "events", "invalid_event")]
    [InlineData("""{"url":"https://example.com/x","events":["video.progress","video.progressed"]}""", "events", "invalid_event")]
    public async Task Bad_registrations_are_400s_naming_the_field(string body, string param, string code)
    {
        using var app = new VidgateApp();
        using var client = await app.NewUserAsync();
        var error = await Api.ErrorAsync(await client.PostJsonAsync("/v1/webhooks", body), HttpStatusCode.BadRequest);
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("""{"url":42}""")]
    [InlineData("""{"url":"https://example.com/x","events":"video.completed"}""")]
    [InlineData("""not json""")]
    [InlineData("""[]""")]
    public async Task Malformed_bodies_are_400s_not_500s(string body)
    {
        using var app = new VidgateApp();
        using var client = await app.NewUserAsync();
        await Api.ErrorAsync(await client.PostJsonAsync("/v1/webhooks", body), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_user_sees_and_manages_only_their_own_endpoints()
    {
        using var app = new VidgateApp(settings: WebhookKit.Loopback());
        using var alice = await app.NewUserAsync("alice");
        using var bob = await app.NewUserAsync("bob");
        var (aliceHook, aliceSecret) = await WebhookKit.RegisterAsync(alice, "http://127.0.0.1:9/alice");
        await WebhookKit.RegisterAsync(bob, "http://127.0.0.1:9/bob", ["video.completed", "video.failed"]);

        var bobs = (await Api.OkJsonAsync(await bob.GetAsync("/v1/webhooks", Ct))).GetProperty("data").EnumerateArray().ToList();
        Assert.Equal("http://127.0.0.1:9/bob", Assert.Single(bobs).GetProperty("url").GetString());
        Assert.Equal(["video.completed", "video.failed"], bobs[0].GetProperty("events").EnumerateArray().Select(e => e.GetString()));
        Assert.False(bobs[0].TryGetProperty("secret", out _));

        foreach (var response in new[]
                 {
                     await bob.GetAsync($"/v1/webhooks/{aliceHook}", Ct),
                     await bob.DeleteAsync($"/v1/webhooks/{aliceHook}", Ct),
                     await bob.PostAsync($"/v1/webhooks/{aliceHook}/rotate-secret", null, Ct),
                 })
        {
            Assert.Equal("webhook_not_found", (await Api.ErrorAsync(response, HttpStatusCode.NotFound)).GetProperty("code").GetString());
        }

        // Alice's endpoint is untouched, with the default events; rotation gives a new secret, deletion removes it.
        var mine = await WebhookKit.EndpointAsync(alice, aliceHook);
        Assert.Equal(["video.completed", "video.failed", "video.cancelled"], mine.GetProperty("events").EnumerateArray().Select(e => e.GetString()));
        var rotated = await Api.OkJsonAsync(await alice.PostAsync($"/v1/webhooks/{aliceHook}/rotate-secret", null, Ct));
        Assert.StartsWith("whsec_", rotated.GetProperty("secret").GetString());
        Assert.NotEqual(aliceSecret, rotated.GetProperty("secret").GetString());
        await Api.OkJsonAsync(await alice.DeleteAsync($"/v1/webhooks/{aliceHook}", Ct));
        await WebhookKit.EndpointAsync(alice, aliceHook, HttpStatusCode.NotFound);
        await Api.ErrorAsync(await alice.DeleteAsync($"/v1/webhooks/{aliceHook}", Ct), HttpStatusCode.NotFound);

        using var anonymous = app.Client(key: null);
        await Api.ErrorAsync(await anonymous.GetAsync("/v1/webhooks", Ct), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task An_admin_manages_any_accounts_endpoints_and_an_unknown_account_is_a_404()
    {
        using var app = new VidgateApp(settings: WebhookKit.Loopback());
        var (key, accountId) = await app.NewKeyAsync("carol");
        using var carol = app.Client(key);
        using var admin = app.Admin();
        var (hook, _) = await WebhookKit.RegisterAsync(admin, "http://127.0.0.1:9/carol", path: $"/admin/accounts/{accountId}/webhooks");

        // The user sees the endpoint the admin added for their account, and the admin lists it.
        Assert.Equal(hook, (await WebhookKit.EndpointAsync(carol, hook)).GetProperty("id").GetString());
        var listed = await Api.OkJsonAsync(await admin.GetAsync($"/admin/accounts/{accountId}/webhooks", Ct));
        Assert.Equal(hook, Assert.Single(listed.GetProperty("data").EnumerateArray()).GetProperty("id").GetString());
        await Api.OkJsonAsync(await admin.PostAsync($"/admin/accounts/{accountId}/webhooks/{hook}/rotate-secret", null, Ct));
        await Api.OkJsonAsync(await admin.DeleteAsync($"/admin/accounts/{accountId}/webhooks/{hook}", Ct));
        await WebhookKit.EndpointAsync(carol, hook, HttpStatusCode.NotFound);

        var error = await Api.ErrorAsync(await admin.GetAsync("/admin/accounts/acct_nope/webhooks", Ct), HttpStatusCode.NotFound);
        Assert.Equal("account_not_found", error.GetProperty("code").GetString());
        await Api.ErrorAsync(await carol.GetAsync($"/admin/accounts/{accountId}/webhooks", Ct), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task The_callback_secret_is_made_once_per_account_and_rotates()
    {
        using var app = new VidgateApp();
        using var client = await app.NewUserAsync();
        var first = (await Api.OkJsonAsync(await client.GetAsync("/v1/webhooks/callback-secret", Ct))).GetProperty("secret").GetString()!;
        Assert.StartsWith("whsec_", first);
        Assert.Equal(first, (await Api.OkJsonAsync(await client.GetAsync("/v1/webhooks/callback-secret", Ct))).GetProperty("secret").GetString());
        var rotated = (await Api.OkJsonAsync(await client.PostAsync("/v1/webhooks/callback-secret/rotate", null, Ct))).GetProperty("secret").GetString()!;
        Assert.NotEqual(first, rotated);
        using var other = await app.NewUserAsync("other");
        Assert.NotEqual(rotated, (await Api.OkJsonAsync(await other.GetAsync("/v1/webhooks/callback-secret", Ct))).GetProperty("secret").GetString());
    }
}
