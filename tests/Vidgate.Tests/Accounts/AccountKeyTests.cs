using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Accounts;

/// <summary>
/// Self-service keys (<c>/v1/account/keys</c>): a user creates keys for their own account, never with more rights than
/// the key they call with, lists and revokes only their own, and the whole API is a 403 unless the operator allows it.
/// </summary>
public sealed class AccountKeyTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly VidgateApp _app = new(settings: new() { ["Vidgate:Workers"] = "false", ["Vidgate:Dashboard:AllowUserKeys"] = "true" });

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task A_user_creates_a_key_that_works_sees_it_listed_without_the_secret_and_revokes_it()
    {
        var (key, account) = await _app.NewKeyAsync("alice");
        using var alice = _app.Client(key);

        var created = await Api.OkJsonAsync(await alice.PostAsJsonAsync("/v1/account/keys", new { name = "ci" }, Ct));
        var secret = created.GetProperty("key").GetString()!;
        var id = created.GetProperty("id").GetString()!;
        Assert.StartsWith("vg_", secret, StringComparison.Ordinal);
        Assert.StartsWith(created.GetProperty("prefix").GetString()!, secret, StringComparison.Ordinal);

        using var ci = _app.Client(secret);
        var own = await Api.OkJsonAsync(await ci.GetAsync("/v1/usage", Ct));
        Assert.Equal(account, own.GetProperty("account_id").GetString());
        await Api.OkJsonAsync(await ci.PostJsonAsync("/v1/videos", Api.SeedBody));

        var listText = await (await alice.GetAsync("/v1/account/keys", Ct)).Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain(secret, listText, StringComparison.Ordinal);
        var list = JsonDocument.Parse(listText).RootElement.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(2, list.Count);
        var listed = Assert.Single(list, k => k.GetProperty("id").GetString() == id);
        Assert.Equal("ci", listed.GetProperty("name").GetString());
        Assert.False(listed.GetProperty("current").GetBoolean());
        Assert.NotEqual(JsonValueKind.Null, listed.GetProperty("last_used_at").ValueKind);
        Assert.True(Assert.Single(list, k => k.GetProperty("id").GetString() != id).GetProperty("current").GetBoolean());

        var revoked = await Api.OkJsonAsync(await alice.DeleteAsync($"/v1/account/keys/{id}", Ct));
        Assert.NotEqual(JsonValueKind.Null, revoked.GetProperty("revoked_at").ValueKind);
        await Api.ErrorAsync(await ci.GetAsync("/v1/usage", Ct), HttpStatusCode.Unauthorized);
        await Api.OkJsonAsync(await alice.GetAsync("/v1/usage", Ct));
    }

    [Fact]
    public async Task Another_accounts_key_is_a_404_and_is_never_listed()
    {
        var (aliceKey, _) = await _app.NewKeyAsync("alice");
        var (bobKey, _) = await _app.NewKeyAsync("bob");
        using var alice = _app.Client(aliceKey);
        using var bob = _app.Client(bobKey);
        var bobs = (await Api.OkJsonAsync(await bob.PostAsJsonAsync("/v1/account/keys", new { name = "bob-2" }, Ct))).GetProperty("key").GetString()!;
        var bobsId = (await Api.OkJsonAsync(await bob.GetAsync("/v1/account/keys", Ct))).GetProperty("data").EnumerateArray()
            .Single(k => k.GetProperty("name").GetString() == "bob-2").GetProperty("id").GetString()!;

        var error = await Api.ErrorAsync(await alice.DeleteAsync($"/v1/account/keys/{bobsId}", Ct), HttpStatusCode.NotFound);
        Assert.Equal("key_not_found", error.GetProperty("code").GetString());
        Assert.Equal(error.GetProperty("message").GetString()!.Replace(bobsId, "X", StringComparison.Ordinal),
            (await Api.ErrorAsync(await alice.DeleteAsync("/v1/account/keys/key_nope", Ct), HttpStatusCode.NotFound)).GetProperty("message").GetString()!.Replace("key_nope", "X", StringComparison.Ordinal));
        var aliceSees = (await Api.OkJsonAsync(await alice.GetAsync("/v1/account/keys", Ct))).GetProperty("data").EnumerateArray().Select(k => k.GetProperty("id").GetString()).ToList();
        Assert.DoesNotContain(bobsId, aliceSees);
        using var stillBob = _app.Client(bobs);
        await Api.OkJsonAsync(await stillBob.GetAsync("/v1/usage", Ct));
    }

    [Fact]
    public async Task A_created_key_is_never_admin_and_never_wider_than_the_key_that_made_it()
    {
        var expires = DateTimeOffset.UtcNow.AddDays(30).ToUnixTimeSeconds();
        var (key, account) = await _app.NewKeyAsync("fenced", new
        {
            name = "fenced",
            requests_per_minute = 10,
            expires_at = expires,
            allowed_models = new[] { "grok-imagine-video" },
            allowed_ips = new[] { "127.0.0.0/8", "::1" },
        });

        // Asked for nothing: inherits every limit of the key that made it (and ignores fields it may not set).
        var (status, plain) = await FromLoopbackAsync(key, "POST", """{"name":"child","is_admin":true,"admin":true,"account_id":"acct_other"}""");
        Assert.Equal(200, status);
        Assert.Equal(10, plain.GetProperty("requests_per_minute").GetInt32());
        Assert.Equal(expires, plain.GetProperty("expires_at").GetInt64());
        Assert.Equal(["grok-imagine-video"], plain.GetProperty("allowed_models").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(["127.0.0.0/8", "::1/128"], plain.GetProperty("allowed_ips").EnumerateArray().Select(m => m.GetString()));
        using var admin = _app.Admin();
        var child = (await Api.OkJsonAsync(await admin.GetAsync("/admin/keys", Ct))).GetProperty("data").EnumerateArray()
            .Single(k => k.GetProperty("id").GetString() == plain.GetProperty("id").GetString());
        Assert.False(child.GetProperty("admin").GetBoolean());
        Assert.Equal(account, child.GetProperty("account_id").GetString());

        // Narrower is fine.
        var (narrowStatus, narrow) = await FromLoopbackAsync(key, "POST",
            $$"""{"name":"narrow","requests_per_minute":5,"expires_at":{{expires - 60}},"allowed_ips":["127.0.0.1"]}""");
        Assert.Equal(200, narrowStatus);
        Assert.Equal(["127.0.0.1/32"], narrow.GetProperty("allowed_ips").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(5, narrow.GetProperty("requests_per_minute").GetInt32());

        // Wider is refused, naming the field.
        foreach (var (body, param) in new[]
        {
            ("""{"name":"x","requests_per_minute":11}""", "requests_per_minute"),
            ($$"""{"name":"x","expires_at":{{expires + 1}}}""", "expires_at"),
            ("""{"name":"x","allowed_models":["sora-2"]}""", "allowed_models"),
            ("""{"name":"x","allowed_models":["grok-imagine-video","sora-2"]}""", "allowed_models"),
            ("""{"name":"x","allowed_ips":["10.0.0.0/8"]}""", "allowed_ips"),
            ("""{"name":"x","allowed_ips":["0.0.0.0/0"]}""", "allowed_ips"),
            ("""{"name":"x","allowed_ips":["::/0"]}""", "allowed_ips"),
            ("""{"name":"x","allowed_ips":["127.0.0.1","192.0.2.1"]}""", "allowed_ips"),
        })
        {
            var (refused, error) = await FromLoopbackAsync(key, "POST", body);
            Assert.Equal((403, "exceeds_own_key", param), (refused, error.GetProperty("error").GetProperty("code").GetString(), error.GetProperty("error").GetProperty("param").GetString()));
        }

        var (_, list) = await FromLoopbackAsync(key, "GET");
        Assert.Equal(3, list.GetProperty("data").GetArrayLength());
    }

    /// <summary><c>/v1/account/keys</c> from 127.0.0.1 (the in-process client has no address), straight through the test server.</summary>
    private async Task<(int Status, JsonElement Body)> FromLoopbackAsync(string key, string method, string? body = null)
    {
        var context = await _app.Server.SendAsync(http =>
        {
            http.Request.Method = method;
            http.Request.Path = "/v1/account/keys";
            http.Connection.RemoteIpAddress = IPAddress.Loopback;
            http.Request.Headers.Authorization = "Bearer " + key;
            if (body is not null)
            {
                http.Request.ContentType = "application/json";
                http.Request.Body = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(body));
            }
        }, Ct);
        using var reader = new StreamReader(context.Response.Body, System.Text.Encoding.UTF8);
        return (context.Response.StatusCode, JsonDocument.Parse(await reader.ReadToEndAsync(Ct)).RootElement.Clone());
    }

    [Fact]
    public async Task Bad_bodies_are_400s_naming_the_field()
    {
        var (key, _) = await _app.NewKeyAsync("typo");
        using var user = _app.Client(key);
        foreach (var (json, param) in new[]
        {
            ("""{}""", "name"), ("""{"name":"  "}""", "name"), ($$"""{"name":"{{new string('n', 201)}}"}""", "name"),
            ("""{"name":"x","requests_per_minute":0}""", "requests_per_minute"), ("""{"name":"x","expires_at":1}""", "expires_at"),
            ("""{"name":"x","allowed_models":["no-such-model"]}""", "allowed_models"), ("""{"name":"x","allowed_ips":["10.0.0.1/8"]}""", "allowed_ips"),
            ("""{"name":5}""", "body"), ("""[]""", "body"), ("""{""", "body"),
        })
        {
            var error = await Api.ErrorAsync(await user.PostJsonAsync("/v1/account/keys", json), HttpStatusCode.BadRequest);
            Assert.Equal(param, error.GetProperty("param").GetString());
        }

        Assert.Single((await Api.OkJsonAsync(await user.GetAsync("/v1/account/keys", Ct))).GetProperty("data").EnumerateArray());
    }

    [Fact]
    public async Task Revoking_the_key_you_call_with_needs_a_confirm()
    {
        var (key, _) = await _app.NewKeyAsync("self");
        using var user = _app.Client(key);
        var id = (await Api.OkJsonAsync(await user.GetAsync("/v1/account/keys", Ct))).GetProperty("data")[0].GetProperty("id").GetString()!;

        var error = await Api.ErrorAsync(await user.DeleteAsync($"/v1/account/keys/{id}", Ct), HttpStatusCode.Conflict);
        Assert.Equal("confirm_required", error.GetProperty("code").GetString());
        await Api.ErrorAsync(await user.DeleteAsync($"/v1/account/keys/{id}?confirm=yes", Ct), HttpStatusCode.BadRequest);
        await Api.OkJsonAsync(await user.GetAsync("/v1/usage", Ct));

        await Api.OkJsonAsync(await user.DeleteAsync($"/v1/account/keys/{id}?confirm=true", Ct));
        await Api.ErrorAsync(await user.GetAsync("/v1/usage", Ct), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task An_account_has_at_most_fifty_active_keys()
    {
        var (key, _) = await _app.NewKeyAsync("many");
        using var user = _app.Client(key);
        for (var i = 1; i < 50; i++)
        {
            await Api.OkJsonAsync(await user.PostAsJsonAsync("/v1/account/keys", new { name = $"k{i}" }, Ct));
        }

        var error = await Api.ErrorAsync(await user.PostAsJsonAsync("/v1/account/keys", new { name = "k50" }, Ct), HttpStatusCode.Conflict);
        Assert.Equal("too_many_keys", error.GetProperty("code").GetString());
        var last = (await Api.OkJsonAsync(await user.GetAsync("/v1/account/keys", Ct))).GetProperty("data")[49].GetProperty("id").GetString()!;
        await Api.OkJsonAsync(await user.DeleteAsync($"/v1/account/keys/{last}", Ct));
        await Api.OkJsonAsync(await user.PostAsJsonAsync("/v1/account/keys", new { name = "k50" }, Ct));
    }

    [Fact]
    public async Task When_the_operator_has_not_allowed_it_every_route_is_a_403_saying_so_but_admins_may()
    {
        using var app = new VidgateApp(settings: new() { ["Vidgate:Workers"] = "false" });
        var (key, _) = await app.NewKeyAsync("user");
        using var user = app.Client(key);

        foreach (var response in new[]
        {
            await user.GetAsync("/v1/account/keys", Ct),
            await user.PostAsJsonAsync("/v1/account/keys", new { name = "x" }, Ct),
            await user.DeleteAsync("/v1/account/keys/key_x", Ct),
        })
        {
            var error = await Api.ErrorAsync(response, HttpStatusCode.Forbidden);
            Assert.Equal("user_keys_disabled", error.GetProperty("code").GetString());
            Assert.Contains("operator", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        await Api.ErrorAsync(await app.Client(null).GetAsync("/v1/account/keys", Ct), HttpStatusCode.Unauthorized);
        using var admin = app.Admin();
        var made = await Api.OkJsonAsync(await admin.PostAsJsonAsync("/v1/account/keys", new { name = "ops-ci" }, Ct));
        using var adminKeys = app.Admin();
        var info = (await Api.OkJsonAsync(await adminKeys.GetAsync("/admin/keys", Ct))).GetProperty("data").EnumerateArray()
            .Single(k => k.GetProperty("id").GetString() == made.GetProperty("id").GetString());
        Assert.False(info.GetProperty("admin").GetBoolean());
    }
}
