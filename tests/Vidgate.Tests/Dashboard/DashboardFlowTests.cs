using System.Text.RegularExpressions;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Dashboard;

/// <summary>The issue's flows in a real browser: what a customer and an operator do, found by role and label.</summary>
public sealed partial class DashboardFlowTests(DashboardBrowser browser) : IClassFixture<DashboardBrowser>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_user_signs_in_generates_watches_progress_plays_the_video_finds_it_and_signs_out()
    {
        var (key, _) = await NewPayingUserAsync("playground");
        var page = await browser.NewPageAsync();

        await page.GotoAsync("/");
        await Assertions.Expect(page).ToHaveURLAsync(SignInUrl());
        await page.GetByLabel("API key").FillAsync("vg_not_a_key");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("not valid");
        await DashboardBrowser.ScreenshotAsync(page, "sign-in");
        Assert.Equal(0, await page.EvaluateAsync<int>("() => localStorage.length + sessionStorage.length"));
        await page.GetByLabel("API key").FillAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Playground" })).ToBeVisibleAsync();
        Assert.DoesNotContain(key, await page.ContentAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await page.EvaluateAsync<int>("() => localStorage.length + sessionStorage.length"));
        var cookie = Assert.Single(await page.Context.CookiesAsync(), c => c.Name == "vidgate_session");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);

        await page.GetByLabel("Prompt").FillAsync("a red balloon rising over a calm lake at dawn");
        await page.GetByLabel("Model").SelectOptionAsync("grok-imagine-video");
        await page.GetByLabel("Seconds").FillAsync("1");
        await page.GetByLabel("Aspect ratio").SelectOptionAsync("16:9");
        await page.GetByLabel("Resolution").SelectOptionAsync("480P");
        await Assertions.Expect(page.Locator("#price")).ToHaveTextAsync(PriceText());
        await DashboardBrowser.ScreenshotAsync(page, "playground");
        // Every status line the page shows is recorded, to see the progress it drew from the event stream.
        await page.EvaluateAsync("() => { window.seen = []; new MutationObserver(() => window.seen.push(document.getElementById('task-status')?.textContent)).observe(document.getElementById('main'), { subtree: true, childList: true, characterData: true }); }");
        await page.GetByRole(AriaRole.Button, new() { Name = "Generate" }).ClickAsync();

        await Assertions.Expect(page.Locator("#task-status")).ToHaveTextAsync("Status: completed", new() { Timeout = 90_000 });
        var seen = await page.EvaluateAsync<string?[]>("() => window.seen");
        Assert.Contains(seen, s => s is not null && (s.StartsWith("Status: queued", StringComparison.Ordinal) || s.StartsWith("Status: processing", StringComparison.Ordinal)));
        var video = page.Locator("video");
        await video.EvaluateAsync("v => { v.muted = true; return v.play(); }");
        await page.WaitForFunctionAsync("() => { const v = document.querySelector('video'); return v.readyState >= 2 && v.currentTime > 0.2; }");
        Assert.True(await video.EvaluateAsync<bool>("v => v.controls"));
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Download" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Remix" })).ToBeVisibleAsync();
        await DashboardBrowser.ScreenshotAsync(page, "playground-result");
        var id = (await page.Locator("#main a.mono, #main p.mono a").First.TextContentAsync())!;

        await page.GetByRole(AriaRole.Link, new() { Name = "Videos", Exact = true }).ClickAsync();
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = id });
        await Assertions.Expect(row).ToContainTextAsync("completed");
        await DashboardBrowser.ScreenshotAsync(page, "videos");
        await page.GetByLabel("Status").SelectOptionAsync("failed");
        await Assertions.Expect(row).ToHaveCountAsync(0);
        await page.GetByLabel("Status").SelectOptionAsync("completed");
        await page.GetByRole(AriaRole.Link, new() { Name = id }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Video " + id })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#curl")).ToContainTextAsync("/v1/videos");
        await Assertions.Expect(page.GetByRole(AriaRole.Img, new() { Name = "Thumbnail of " + id })).ToBeVisibleAsync();
        await DashboardBrowser.ScreenshotAsync(page, "video");

        await page.GetByRole(AriaRole.Link, new() { Name = "Usage" }).ClickAsync();
        await Assertions.Expect(page.Locator("#balance")).ToContainTextAsync("$");
        await Assertions.Expect(page.Locator(".chart svg")).ToBeVisibleAsync();
        await DashboardBrowser.ScreenshotAsync(page, "usage");

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(SignInUrl());
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == "vidgate_session");
        await page.GotoAsync("/dashboard/videos");
        await Assertions.Expect(page).ToHaveURLAsync(SignInUrl());
    }

    [Fact]
    public async Task A_long_video_is_cancelled_from_the_playground()
    {
        var (key, _) = await NewPayingUserAsync("canceller");
        var page = await browser.NewPageAsync();
        await DashboardBrowser.SignInAsync(page, key);

        await page.GetByLabel("Prompt").FillAsync("a slow pan over a mountain range, 15 seconds");
        await page.GetByLabel("Seconds").FillAsync("15");
        await page.GetByLabel("Resolution").SelectOptionAsync("720P");
        await page.GetByRole(AriaRole.Button, new() { Name = "Generate" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();

        await Assertions.Expect(page.Locator("#task-status")).ToHaveTextAsync("Status: cancelled");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cancel" })).ToHaveCountAsync(0);
        await page.GotoAsync("/dashboard/videos");
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "cancelled" })).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task Validation_errors_show_next_to_their_field_in_the_apis_words()
    {
        var (key, _) = await NewPayingUserAsync("typo");
        var page = await browser.NewPageAsync();
        await DashboardBrowser.SignInAsync(page, key);

        await page.GetByLabel("Prompt").FillAsync("a boat");
        await page.GetByLabel("Seconds").FillAsync("99");
        await page.GetByRole(AriaRole.Button, new() { Name = "Generate" }).ClickAsync();

        await Assertions.Expect(page.Locator("#seconds-error")).ToContainTextAsync("seconds");
        Assert.Equal("true", await page.GetByLabel("Seconds").GetAttributeAsync("aria-invalid"));
        using var client = browser.App.Client(key);
        Assert.Equal(0, (await Api.OkJsonAsync(await client.GetAsync("/v1/videos", Ct))).GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task A_user_gets_a_403_page_for_admin_pages_and_a_404_page_for_another_accounts_video()
    {
        var (key, _) = await NewPayingUserAsync("nosy");
        using var other = await browser.App.NewUserAsync("victim");
        var theirs = (await other.CreateAsync(new { model = "grok-imagine-video", prompt = "private", seconds = 1, resolution = "480P" })).GetProperty("id").GetString()!;
        var page = await browser.NewPageAsync();
        await DashboardBrowser.SignInAsync(page, key);

        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Admin" })).ToHaveCountAsync(0);
        await page.GotoAsync("/dashboard/admin/accounts");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("403");
        Assert.DoesNotContain("victim", await page.Locator("#main").TextContentAsync() ?? "", StringComparison.Ordinal);
        await DashboardBrowser.ScreenshotAsync(page, "forbidden");
        await page.GotoAsync($"/dashboard/videos/{theirs}");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("404");
        Assert.DoesNotContain("private", await page.Locator("#main").TextContentAsync() ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_admin_tops_up_an_account_and_sees_the_balance_change()
    {
        var (_, account) = await browser.App.NewKeyAsync("topup-target");
        using var admin = browser.App.Admin();
        var before = (await Api.OkJsonAsync(await admin.GetAsync($"/admin/accounts/{account}", Ct))).GetProperty("balance_micros").GetInt64();
        var page = await browser.NewPageAsync();
        await DashboardBrowser.SignInAsync(page, VidgateApp.AdminKey);

        await page.GetByRole(AriaRole.Link, new() { Name = "Admin" }).ClickAsync();
        await page.GetByLabel("Amount for topup-target").FillAsync("12.50");
        await page.GetByLabel("Reason for topup-target").FillAsync("conference promo");
        await page.GetByRole(AriaRole.Button, new() { Name = "Top up topup-target" }).ClickAsync();

        var expected = before + 12_500_000;
        await Assertions.Expect(page.Locator($"#balance-{account}")).ToHaveTextAsync("$" + (expected / 1e6).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(expected, (await Api.OkJsonAsync(await admin.GetAsync($"/admin/accounts/{account}", Ct))).GetProperty("balance_micros").GetInt64());
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator($"#balance-{account}")).ToHaveTextAsync("$" + (expected / 1e6).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture));
        await DashboardBrowser.ScreenshotAsync(page, "admin-accounts");
        foreach (var section in new[] { "keys", "tiers", "prices", "providers", "usage", "webhooks" })
        {
            await page.GotoAsync($"/dashboard/admin/{section}");
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Admin");
            await DashboardBrowser.ScreenshotAsync(page, $"admin-{section}");
        }
    }

    [Fact]
    public async Task An_admin_tests_a_providers_credentials_from_its_row()
    {
        await using var fake = await Vidgate.Fakes.FakeXaiUpstream.StartAsync(ct: Ct);
        using var admin = browser.App.Admin();
        await Api.OkJsonAsync(await admin.PostAsync("/admin/providers", System.Net.Http.Json.JsonContent.Create(new
        {
            id = "xai-dash",
            type = "xai",
            base_url = fake.BaseUrl.ToString(),
            api_keys = new[] { fake.Options.ApiKey },
        }), Ct));
        var page = await browser.NewPageAsync();
        await DashboardBrowser.SignInAsync(page, VidgateApp.AdminKey);

        await page.GotoAsync("/dashboard/admin/providers");
        await page.GetByRole(AriaRole.Button, new() { Name = "Test xai-dash" }).ClickAsync();

        await Assertions.Expect(page.Locator("#check-xai-dash")).ToContainTextAsync("ok: GET /v1/models");
    }

    [Fact]
    public async Task Every_page_has_no_serious_accessibility_violation_in_either_theme()
    {
        var (key, _) = await NewPayingUserAsync("a11y");
        using var user = browser.App.Client(key);
        var id = (await user.CreateAsync(new { model = "grok-imagine-video", prompt = "a lighthouse", seconds = 1, resolution = "480P" })).GetProperty("id").GetString()!;
        await user.WaitForAsync(id, "completed");
        var page = await browser.NewPageAsync();
        await page.GotoAsync("/dashboard/sign-in");
        await CheckAsync(page, "sign-in");
        await DashboardBrowser.SignInAsync(page, key);
        foreach (var path in new[] { "/dashboard", "/dashboard/videos", $"/dashboard/videos/{id}", "/dashboard/usage", "/dashboard/keys" })
        {
            await page.GotoAsync(path);
            await page.GetByRole(AriaRole.Heading, new() { Level = 1 }).WaitForAsync();
            await CheckAsync(page, path);
        }

        await page.GetByRole(AriaRole.Button, new() { Name = "Dark theme" }).ClickAsync();
        await CheckAsync(page, "keys (dark)");

        var admin = await browser.NewPageAsync();
        await DashboardBrowser.SignInAsync(admin, VidgateApp.AdminKey);
        foreach (var section in new[] { "accounts", "keys", "prices", "queue", "usage" })
        {
            await admin.GotoAsync($"/dashboard/admin/{section}");
            await admin.GetByRole(AriaRole.Heading, new() { Level = 1 }).WaitForAsync();
            await CheckAsync(admin, "admin " + section);
        }
    }

    [Fact]
    public async Task Keyboard_only_signs_in_and_generates_with_enter()
    {
        var (key, _) = await NewPayingUserAsync("keyboard");
        var page = await browser.NewPageAsync();
        await page.GotoAsync("/dashboard/sign-in");

        // The key field has focus on arrival; Enter submits.
        await page.Keyboard.TypeAsync(key);
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Playground" })).ToBeVisibleAsync();

        // Tab from the top of the page to the prompt, then through the form to Seconds, and submit with Enter there.
        await page.Locator("#main").FocusAsync();
        for (var i = 0; i < 10 && await page.EvaluateAsync<string>("() => document.activeElement.id") != "prompt"; i++)
        {
            await page.Keyboard.PressAsync("Tab");
        }

        Assert.Equal("prompt", await page.EvaluateAsync<string>("() => document.activeElement.id"));
        await page.Keyboard.TypeAsync("a paper boat drifting down a gutter");
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("seconds", await page.EvaluateAsync<string>("() => document.activeElement.id"));
        await page.Keyboard.PressAsync("Control+A");
        await page.Keyboard.TypeAsync("1");
        await page.Keyboard.PressAsync("Enter");

        await Assertions.Expect(page.Locator("#task-status")).ToContainTextAsync("Status:");
        await Assertions.Expect(page.Locator("#task-status")).ToHaveTextAsync("Status: completed", new() { Timeout = 90_000 });
    }

    [Fact]
    public async Task A_user_creates_a_key_that_works_revokes_it_and_must_confirm_revoking_their_own()
    {
        var (key, account) = await NewPayingUserAsync("self-service");
        var page = await browser.NewPageAsync();
        await DashboardBrowser.SignInAsync(page, key);

        await page.GetByRole(AriaRole.Link, new() { Name = "Keys", Exact = true }).ClickAsync();
        await page.GetByLabel("Key name").FillAsync("laptop");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        await Assertions.Expect(page.Locator("#new-key")).ToContainTextAsync("vg_");
        var secret = (await page.Locator("#new-key").TextContentAsync())!.Trim();
        using var laptop = browser.App.Client(secret);
        Assert.Equal(account, (await Api.OkJsonAsync(await laptop.GetAsync("/v1/usage", Ct))).GetProperty("account_id").GetString());
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "laptop" });
        await Assertions.Expect(row).ToContainTextAsync("never");
        Assert.DoesNotContain(secret, await page.Locator("table").TextContentAsync() ?? "", StringComparison.Ordinal);
        await DashboardBrowser.ScreenshotAsync(page, "keys");

        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke laptop" }).ClickAsync();
        await Assertions.Expect(page.Locator("#keys-status")).ToContainTextAsync("laptop is revoked");
        await Assertions.Expect(row).ToContainTextAsync("revoked");
        await Api.ErrorAsync(await laptop.GetAsync("/v1/usage", Ct), System.Net.HttpStatusCode.Unauthorized);

        // The key this browser signed in with: the first press only asks.
        using var self = browser.App.Client(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke self-service" }).ClickAsync();
        await Assertions.Expect(page.Locator("#keys-status")).ToContainTextAsync("signs you out");
        await Api.OkJsonAsync(await self.GetAsync("/v1/usage", Ct));
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke self-service" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(SignInUrl());
        await Api.ErrorAsync(await self.GetAsync("/v1/usage", Ct), System.Net.HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task The_keys_page_says_so_when_the_operator_has_turned_self_service_keys_off()
    {
        var port = ServerProcess.FreePort();
        using var app = new VidgateApp(settings: new() { ["Vidgate:Workers"] = "false" });
        app.UseKestrel(port);
        app.StartServer();
        var (key, _) = await app.NewKeyAsync("locked");
        var page = await browser.NewPageAsync($"http://127.0.0.1:{port}");
        await DashboardBrowser.SignInAsync(page, key);

        await page.GotoAsync("/dashboard/keys");

        await Assertions.Expect(page.Locator("#keys-off")).ToContainTextAsync("operator has turned off self-service keys");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Create key" })).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task An_admin_watches_a_long_task_in_the_live_queue_until_it_leaves_and_a_user_gets_a_403_page()
    {
        var (key, account) = await NewPayingUserAsync("queue-watcher");
        using var user = browser.App.Client(key);
        var id = (await user.CreateAsync(new { model = "grok-imagine-video", prompt = "a long slow pan for the queue", seconds = 15, resolution = "720P" })).GetProperty("id").GetString()!;
        var admin = await browser.NewPageAsync();
        await DashboardBrowser.SignInAsync(admin, VidgateApp.AdminKey);

        await admin.GotoAsync("/dashboard/admin/queue");
        var row = admin.GetByRole(AriaRole.Row).Filter(new() { HasText = id });
        await Assertions.Expect(row).ToContainTextAsync(account);
        await Assertions.Expect(row).ToContainTextAsync(new Regex("queued|running"));
        await Assertions.Expect(admin.Locator("#queue-total")).Not.ToHaveTextAsync("0");
        await DashboardBrowser.ScreenshotAsync(admin, "admin-queue");

        // The page redraws itself: the cancelled task leaves it without a reload.
        await Api.OkJsonAsync(await user.PostAsync($"/v1/videos/{id}/cancel", null, Ct));
        await Assertions.Expect(row).ToHaveCountAsync(0);

        var page = await browser.NewPageAsync();
        await DashboardBrowser.SignInAsync(page, key);
        await page.GotoAsync("/dashboard/admin/queue");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("403");
        Assert.DoesNotContain(id, await page.Locator("#main").TextContentAsync() ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_margin_chart_shows_a_cost_the_upstream_reported()
    {
        await using var fake = await Vidgate.Fakes.FakeXaiUpstream.StartAsync(new Vidgate.Fakes.FakeXaiOptions { CostTicksPerSecond = 300_000_000 }, ct: Ct);
        using var admin = browser.App.Admin();
        await Api.OkJsonAsync(await admin.PostAsync("/admin/providers", System.Net.Http.Json.JsonContent.Create(new
        {
            id = "xai-margin",
            type = "xai",
            base_url = fake.BaseUrl.ToString(),
            api_keys = new[] { fake.Options.ApiKey },
        }), Ct));
        await Api.OkJsonAsync(await admin.PostAsync("/admin/models", System.Net.Http.Json.JsonContent.Create(new { name = "margin-video" }), Ct));
        await Api.OkJsonAsync(await admin.PostAsync("/admin/routes", System.Net.Http.Json.JsonContent.Create(new { model = "margin-video", provider = "xai-margin" }), Ct));
        Assert.True((await admin.PutAsync("/admin/prices", System.Net.Http.Json.JsonContent.Create(new { model = "margin-video", resolution = 480, per_second_micros = 70_000, per_image_micros = 0 }), Ct)).IsSuccessStatusCode);
        var (key, _) = await NewPayingUserAsync("margin-buyer");
        using var user = browser.App.Client(key);
        var id = (await user.CreateAsync(new { model = "margin-video", prompt = "a harbour at noon", seconds = 2, resolution = "480P" })).GetProperty("id").GetString()!;
        await user.WaitForAsync(id, "completed");

        var page = await browser.NewPageAsync();
        await DashboardBrowser.SignInAsync(page, VidgateApp.AdminKey);
        await page.GotoAsync("/dashboard/admin/usage");

        // 2 s at 0.03 USD/s as the fake upstream reported it: $0.06 against what the buyer was charged.
        var row = page.Locator("#margin-table").GetByRole(AriaRole.Row).Filter(new() { HasText = "margin-video" });
        await Assertions.Expect(row).ToContainTextAsync("xai-margin");
        await Assertions.Expect(row).ToContainTextAsync("$0.06");
        await Assertions.Expect(page.GetByRole(AriaRole.Img, new() { Name = "Charged against upstream cost" })).ToHaveAttributeAsync("aria-label", new Regex(@"cost \$0\.06"));
        await Assertions.Expect(page.Locator("#margin-unknown")).ToContainTextAsync("$");
        await DashboardBrowser.ScreenshotAsync(page, "admin-margin");
    }

    [Fact]
    public async Task Filtering_the_videos_by_status_on_the_server_finds_the_cancelled_video()
    {
        var (key, _) = await NewPayingUserAsync("filterer");
        using var user = browser.App.Client(key);
        var cancelled = (await user.CreateAsync(new { model = "grok-imagine-video", prompt = "an orange kite, cancelled", seconds = 15, resolution = "720P" })).GetProperty("id").GetString()!;
        await Api.OkJsonAsync(await user.PostAsync($"/v1/videos/{cancelled}/cancel", null, Ct));
        var done = (await user.CreateAsync(new { model = "grok-imagine-video", prompt = "a green field", seconds = 1, resolution = "480P" })).GetProperty("id").GetString()!;
        await user.WaitForAsync(done, "completed");
        var page = await browser.NewPageAsync();
        await DashboardBrowser.SignInAsync(page, key);
        await page.GotoAsync("/dashboard/videos");
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = done })).ToHaveCountAsync(1);

        await page.GetByLabel("Status").SelectOptionAsync("cancelled");

        await Assertions.Expect(page).ToHaveURLAsync(new Regex("status=cancelled"));
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = cancelled })).ToContainTextAsync("cancelled");
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = done })).ToHaveCountAsync(0);
        await DashboardBrowser.ScreenshotAsync(page, "videos-filtered");

        // The search runs on the server too, and the filters survive a reload.
        await page.GetByLabel("Status").SelectOptionAsync("");
        await page.GetByLabel("Search").FillAsync("GREEN");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("q=GREEN"));
        await page.ReloadAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = done })).ToHaveCountAsync(1);
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = cancelled })).ToHaveCountAsync(0);
        Assert.Equal("GREEN", await page.GetByLabel("Search").InputValueAsync());
    }

    private static async Task CheckAsync(IPage page, string name)
    {
        var result = await page.RunAxe();
        var serious = result.Violations.Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Html))}").ToList();
        Assert.True(serious.Count == 0, $"{name}:\n" + string.Join('\n', serious));
    }

    private async Task<(string Key, string Account)> NewPayingUserAsync(string name)
    {
        var (key, account) = await browser.App.NewKeyAsync(name);
        await browser.App.TopUpAsync(account, 100_000_000);
        return (key, account);
    }

    [GeneratedRegex("/dashboard/sign-in")]
    private static partial Regex SignInUrl();

    [GeneratedRegex(@"^Price: \$\d+\.\d\d$")]
    private static partial Regex PriceText();
}
