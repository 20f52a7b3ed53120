using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Time.Testing;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Dashboard;

/// <summary>
/// The dashboard's sign-in at the HTTP level: the cookie's flags, the anti-forgery header on state-changing requests,
/// sign-out ending the session in the store, wrong keys limited like the API, and the security headers of its pages.
/// </summary>
public sealed class DashboardSessionTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly VidgateApp _app;

    public DashboardSessionTests() => _app = new VidgateApp(
        clock: _clock, settings: new() { ["Vidgate:Workers"] = "false", ["Billing:FailedAuthPerMinute"] = "3" });

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task Signing_in_sets_an_http_only_strict_cookie_and_never_returns_the_key()
    {
        var (key, account) = await _app.NewKeyAsync("alice");
        using var browser = Browser();

        using var response = await browser.PostAsJsonAsync("/dashboard/session", new { api_key = key }, Ct);

        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(key, body, StringComparison.Ordinal);
        var session = JsonDocument.Parse(body).RootElement;
        Assert.Equal(account, session.GetProperty("account_id").GetString());
        Assert.False(session.GetProperty("is_admin").GetBoolean());
        Assert.True(session.GetProperty("csrf_token").GetString()!.Length >= 32);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        var parts = cookie.Split(';', StringSplitOptions.TrimEntries);
        Assert.StartsWith("vidgate_session=", parts[0], StringComparison.Ordinal);
        Assert.True(parts[0].Length > "vidgate_session=".Length + 40, cookie);
        Assert.DoesNotContain(key, cookie, StringComparison.Ordinal);
        Assert.Contains("httponly", parts, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", parts, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("path=/", parts, StringComparer.OrdinalIgnoreCase);
        // Plain HTTP here: a Secure cookie would never come back; behind HTTPS it is set (see the next test).
        Assert.DoesNotContain("secure", parts, StringComparer.OrdinalIgnoreCase);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task Behind_https_the_cookie_is_secure()
    {
        var (key, _) = await _app.NewKeyAsync("alice");
        using var browser = _app.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false, BaseAddress = new Uri("https://localhost") });

        using var response = await browser.PostAsJsonAsync("/dashboard/session", new { api_key = key }, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("secure", response.Headers.GetValues("Set-Cookie").Single().Split(';', StringSplitOptions.TrimEntries), StringComparer.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_form_post_signs_in_too()
    {
        var (key, _) = await _app.NewKeyAsync("alice");
        using var browser = Browser();

        using var response = await browser.PostAsync("/dashboard/session", new FormUrlEncodedContent([new("api_key", key)]), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var videos = await Send(browser, HttpMethod.Get, "/v1/videos", Cookie(response));
        await Api.OkJsonAsync(videos);
    }

    [Fact]
    public async Task The_cookie_reads_but_a_state_changing_request_without_the_csrf_header_is_403_and_changes_nothing()
    {
        var (key, account) = await _app.NewKeyAsync("alice");
        await _app.TopUpAsync(account, 1_000_000_000);
        using var browser = Browser();
        var (cookie, csrf) = await SignInAsync(browser, key);

        await Api.OkJsonAsync(await Send(browser, HttpMethod.Get, "/v1/videos", cookie));
        var forged = await Send(browser, HttpMethod.Post, "/v1/videos", cookie, body: Api.SeedBody);
        var error = await Api.ErrorAsync(forged, HttpStatusCode.Forbidden);
        Assert.Equal("csrf_failed", error.GetProperty("code").GetString());
        var wrong = await Send(browser, HttpMethod.Post, "/v1/videos", cookie, csrf: csrf + "x", body: Api.SeedBody);
        Assert.Equal("csrf_failed", (await Api.ErrorAsync(wrong, HttpStatusCode.Forbidden)).GetProperty("code").GetString());
        Assert.Equal(0, (await Api.OkJsonAsync(await Send(browser, HttpMethod.Get, "/v1/videos", cookie))).GetProperty("data").GetArrayLength());

        var created = await Api.OkJsonAsync(await Send(browser, HttpMethod.Post, "/v1/videos", cookie, csrf: csrf, body: Api.SeedBody));
        var id = created.GetProperty("id").GetString()!;
        var cancel = await Send(browser, HttpMethod.Post, $"/v1/videos/{id}/cancel", cookie);
        Assert.Equal(HttpStatusCode.Forbidden, cancel.StatusCode);
        var listed = await Api.OkJsonAsync(await Send(browser, HttpMethod.Get, "/v1/videos", cookie));
        Assert.Equal(id, Assert.Single(listed.GetProperty("data").EnumerateArray()).GetProperty("id").GetString());
        Assert.Equal("queued", listed.GetProperty("data")[0].GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_bearer_key_is_unchanged_by_a_cookie_next_to_it()
    {
        var (key, account) = await _app.NewKeyAsync("alice");
        await _app.TopUpAsync(account, 1_000_000_000);
        var (other, _) = await _app.NewKeyAsync("bob");
        using var browser = Browser();
        var (bobCookie, _) = await SignInAsync(browser, other);

        // A key wins over the cookie: alice's create, no anti-forgery header needed, billed to alice.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/videos") { Content = new StringContent(Api.SeedBody, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new("Bearer", key);
        request.Headers.Add("Cookie", bobCookie);
        var created = await Api.OkJsonAsync(await browser.SendAsync(request, Ct));

        using var alice = _app.Client(key);
        await alice.GetVideoAsync(created.GetProperty("id").GetString()!);
        Assert.Equal(0, (await Api.OkJsonAsync(await Send(browser, HttpMethod.Get, "/v1/videos", bobCookie))).GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task Signing_out_ends_the_session_on_the_server_so_a_copied_cookie_stops_working()
    {
        var (key, _) = await _app.NewKeyAsync("alice");
        using var browser = Browser();
        var (cookie, csrf) = await SignInAsync(browser, key);
        await Api.OkJsonAsync(await Send(browser, HttpMethod.Get, "/dashboard/session", cookie));

        Assert.Equal(HttpStatusCode.Forbidden, (await Send(browser, HttpMethod.Delete, "/dashboard/session", cookie)).StatusCode);
        await Api.OkJsonAsync(await Send(browser, HttpMethod.Get, "/v1/videos", cookie));
        using var signOut = await Send(browser, HttpMethod.Delete, "/dashboard/session", cookie, csrf: csrf);
        Assert.Equal(HttpStatusCode.NoContent, signOut.StatusCode);
        Assert.Contains("vidgate_session=;", signOut.Headers.GetValues("Set-Cookie").Single(), StringComparison.Ordinal);

        // The old cookie value, replayed as an attacker who copied it would: refused everywhere.
        await Api.ErrorAsync(await Send(browser, HttpMethod.Get, "/v1/videos", cookie), HttpStatusCode.Unauthorized);
        await Api.ErrorAsync(await Send(browser, HttpMethod.Get, "/dashboard/session", cookie), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_session_ends_with_its_lifetime_and_with_its_key()
    {
        var (key, _) = await _app.NewKeyAsync("alice");
        using var browser = Browser();
        var (cookie, _) = await SignInAsync(browser, key);
        _clock.Advance(TimeSpan.FromHours(11));
        await Api.OkJsonAsync(await Send(browser, HttpMethod.Get, "/v1/videos", cookie));
        _clock.Advance(TimeSpan.FromHours(1));
        await Api.ErrorAsync(await Send(browser, HttpMethod.Get, "/v1/videos", cookie), HttpStatusCode.Unauthorized);

        var (again, _) = await SignInAsync(browser, key);
        using var admin = _app.Admin();
        var keyId = (await Api.OkJsonAsync(await admin.GetAsync("/admin/keys", Ct))).GetProperty("data").EnumerateArray()
            .First(k => k.GetProperty("name").GetString() == "alice").GetProperty("id").GetString()!;
        await Api.OkJsonAsync(await admin.DeleteAsync($"/admin/keys/{keyId}", Ct));
        _clock.Advance(TimeSpan.FromSeconds(10));
        await Api.ErrorAsync(await Send(browser, HttpMethod.Get, "/v1/videos", again), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_wrong_key_gets_a_clear_message_naming_the_field_and_is_rate_limited_like_the_api()
    {
        var (key, _) = await _app.NewKeyAsync("alice");
        using var browser = Browser();

        var missing = await Api.ErrorAsync(await browser.PostAsJsonAsync("/dashboard/session", new { api_key = "" }, Ct), HttpStatusCode.BadRequest);
        Assert.Equal("api_key", missing.GetProperty("param").GetString());
        for (var i = 0; i < 3; i++)
        {
            var wrong = await Api.ErrorAsync(await browser.PostAsJsonAsync("/dashboard/session", new { api_key = "vg_wrong" + i }, Ct), HttpStatusCode.Unauthorized);
            Assert.Equal(("invalid_api_key", "api_key"), (wrong.GetProperty("code").GetString(), wrong.GetProperty("param").GetString()));
            Assert.Contains("not valid", wrong.GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        // Blocked now, even with the right key: guessing costs what it costs on the API.
        using var blocked = await browser.PostAsJsonAsync("/dashboard/session", new { api_key = key }, Ct);
        await Api.ErrorAsync(blocked, HttpStatusCode.TooManyRequests);
        Assert.NotNull(blocked.Headers.RetryAfter);
        Assert.False(blocked.Headers.Contains("Set-Cookie"));
        _clock.Advance(TimeSpan.FromMinutes(1));
        await SignInAsync(browser, key);
    }

    [Fact]
    public async Task A_user_session_cannot_read_admin_data_and_an_admin_session_can()
    {
        var (key, _) = await _app.NewKeyAsync("alice");
        using var browser = Browser();
        var (user, _) = await SignInAsync(browser, key);
        var (admin, _) = await SignInAsync(browser, VidgateApp.AdminKey);

        foreach (var path in new[] { "/admin/accounts", "/admin/keys", "/admin/usage", "/admin/providers" })
        {
            Assert.Equal("admin_required", (await Api.ErrorAsync(await Send(browser, HttpMethod.Get, path, user), HttpStatusCode.Forbidden)).GetProperty("code").GetString());
            await Api.OkJsonAsync(await Send(browser, HttpMethod.Get, path, admin));
        }

        Assert.True((await Api.OkJsonAsync(await Send(browser, HttpMethod.Get, "/dashboard/session", admin))).GetProperty("is_admin").GetBoolean());
    }

    [Fact]
    public async Task Pages_and_files_carry_a_strict_csp_without_inline_scripts_and_root_leads_to_the_dashboard()
    {
        using var browser = Browser();

        using var root = await browser.GetAsync("/", Ct);
        Assert.Equal(HttpStatusCode.Redirect, root.StatusCode);
        Assert.Equal("/dashboard", root.Headers.Location?.OriginalString);

        using var page = await browser.GetAsync("/dashboard/videos", Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var csp = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self';", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", page.Headers.GetValues("Referrer-Policy").Single());
        var html = await page.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotMatch("<script(?![^>]*\\ssrc=)", html);
        Assert.DoesNotContain(" style=", html, StringComparison.Ordinal);

        var script = System.Text.RegularExpressions.Regex.Match(html, "src=\"(/dashboard/assets/app\\.js\\?v=[0-9a-f]+)\"").Groups[1].Value;
        using var js = await browser.GetAsync(script, Ct);
        Assert.Equal(HttpStatusCode.OK, js.StatusCode);
        Assert.Equal("text/javascript", js.Content.Headers.ContentType?.MediaType);
        Assert.Contains("immutable", js.Headers.CacheControl?.ToString(), StringComparison.Ordinal);
        Assert.NotNull(js.Headers.GetValues("Content-Security-Policy").Single());
        using var again = new HttpRequestMessage(HttpMethod.Get, "/dashboard/assets/app.js");
        again.Headers.TryAddWithoutValidation("If-None-Match", js.Headers.ETag!.Tag);
        Assert.Equal(HttpStatusCode.NotModified, (await browser.SendAsync(again, Ct)).StatusCode);
        await Api.ErrorAsync(await browser.GetAsync("/dashboard/assets/nothing.js", Ct), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_disabled_dashboard_serves_no_page_and_takes_no_sign_in()
    {
        using var app = new VidgateApp(settings: new() { ["Vidgate:Workers"] = "false", ["Vidgate:Dashboard:Enabled"] = "false" });
        var (key, _) = await app.NewKeyAsync("alice");
        using var browser = app.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false, AllowAutoRedirect = false });

        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync("/dashboard", Ct)).StatusCode);
        Assert.NotEqual(HttpStatusCode.Redirect, (await browser.GetAsync("/", Ct)).StatusCode);
        using var signIn = await browser.PostAsJsonAsync("/dashboard/session", new { api_key = key }, Ct);
        Assert.False(signIn.IsSuccessStatusCode);
        Assert.False(signIn.Headers.Contains("Set-Cookie"));
    }

    private HttpClient Browser() => _app.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false, AllowAutoRedirect = false });

    private static async Task<(string Cookie, string Csrf)> SignInAsync(HttpClient browser, string key)
    {
        using var response = await browser.PostAsJsonAsync("/dashboard/session", new { api_key = key }, Ct);
        var session = await Api.OkJsonAsync(response);
        return (Cookie(response), session.GetProperty("csrf_token").GetString()!);
    }

    private static string Cookie(HttpResponseMessage response) => response.Headers.GetValues("Set-Cookie").Single().Split(';')[0];

    private static Task<HttpResponseMessage> Send(HttpClient browser, HttpMethod method, string path, string cookie, string? csrf = null, string? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("Cookie", cookie);
        if (csrf is not null)
        {
            request.Headers.Add("X-Vidgate-Csrf", csrf);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        return browser.SendAsync(request, Ct);
    }
}
