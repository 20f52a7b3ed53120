using Microsoft.Playwright;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Dashboard;

/// <summary>
/// One real server on a real port (the in-process app behind Kestrel, workers and the builtin renderer on) and one
/// headless Debian chromium, shared by a test class; each test opens its own browser context (its own cookies).
/// Playwright's own browser download is never used: the tests drive /usr/bin/chromium, and fail with the fix when it is missing.
/// </summary>
public sealed class DashboardBrowser : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    /// <summary>Self-service keys on (the Keys page's flow), and the fake upstreams on loopback reachable for results.</summary>
    public VidgateApp App { get; } = new(settings: new() { ["Vidgate:Dashboard:AllowUserKeys"] = "true", ["Vidgate:Fetch:Allow:0"] = "127.0.0.0/8" });

    public string BaseUrl { get; private set; } = "";

    public IBrowser Browser { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Assert.True(File.Exists(Chromium), $"The dashboard tests drive Debian's chromium at {Chromium}: install it with `apt-get install -y chromium` (./vidgate test does).");
        var port = ServerProcess.FreePort();
        App.UseKestrel(port);
        App.StartServer();
        BaseUrl = $"http://127.0.0.1:{port}";
        Assertions.SetDefaultExpectTimeout(20_000);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>A fresh browser (no cookies) at desktop size, on this server or on <paramref name="baseUrl"/>.</summary>
    public async Task<IPage> NewPageAsync(string? baseUrl = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseUrl ?? BaseUrl, ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        // Generous: the machine that runs the suite may be busy with builds; a slow step is not a failure.
        context.SetDefaultTimeout(30_000);
        context.SetDefaultNavigationTimeout(30_000);
        return await context.NewPageAsync();
    }

    /// <summary>Signs in through the sign-in page, as a person would.</summary>
    public static async Task SignInAsync(IPage page, string key)
    {
        await page.GotoAsync("/dashboard/sign-in");
        await page.GetByLabel("API key").FillAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).WaitForAsync();
    }

    /// <summary>The page at desktop (1280×800) and phone (390×844) width, into docs/img/dashboard/ (linked from the README).</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        var folder = Path.Combine(Repo.Root, "docs", "img", "dashboard");
        Directory.CreateDirectory(folder);
        await page.SetViewportSizeAsync(1280, 800);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, $"{name}-desktop.png") });
        await page.SetViewportSizeAsync(390, 844);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, $"{name}-phone.png") });
        var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
        Assert.True(overflow <= 0, $"{name}: the page is {overflow}px wider than a phone");
        await page.SetViewportSizeAsync(1280, 800);
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        App.Dispose();
    }
}
