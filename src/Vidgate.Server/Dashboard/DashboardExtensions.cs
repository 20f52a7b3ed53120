using Microsoft.Extensions.Options;

namespace Vidgate.Server.Dashboard;

/// <summary>
/// The browser dashboard (docs/dashboard.md): one shell page whose small ES modules draw every page from the same
/// public API the SDKs use (<c>/v1/*</c>, <c>/admin/*</c>), signed in by a session cookie (<see cref="DashboardSessions"/>).
/// </summary>
internal static class DashboardExtensions
{
    /// <summary>No inline script or style anywhere: a script injected into a prompt or an error message cannot run.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
        + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    /// <summary>The pages the shell draws; each is a real URL, so reloads, bookmarks and shared links work.</summary>
    private static readonly string[] Pages =
    [
        "/dashboard", "/dashboard/sign-in", "/dashboard/videos", "/dashboard/videos/{id}", "/dashboard/usage", "/dashboard/keys",
        "/dashboard/admin", "/dashboard/admin/{section}",
    ];

    public static IServiceCollection AddDashboard(this IServiceCollection services)
    {
        services.AddOptions<DashboardOptions>()
            .BindConfiguration(DashboardOptions.Section)
            .Validate(o => o.SessionLifetime > TimeSpan.Zero, "Vidgate:Dashboard:SessionLifetime must be positive.")
            .ValidateOnStart();
        services.AddSingleton<DashboardSessions>();
        services.AddSingleton<DashboardAssets>();
        return services;
    }

    public static WebApplication MapDashboard(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<IOptions<DashboardOptions>>().Value.Enabled)
        {
            return app;
        }

        app.Use(static (http, next) =>
        {
            var path = http.Request.Path;
            if (path == "/" && (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method)))
            {
                // The one address a person types: the API has nothing at "/", the dashboard does.
                http.Response.Redirect("/dashboard");
                return Task.CompletedTask;
            }

            if (path.StartsWithSegments("/dashboard"))
            {
                var headers = http.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "no-referrer";
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
            }

            return next(http);
        });

        app.MapDashboardSession();
        foreach (var page in Pages)
        {
            app.MapGet(page, static (HttpContext http, DashboardAssets assets) => assets.Shell.Serve(http, "no-cache"))
                .WithVidgateDocs("Dashboard", "A dashboard page (HTML; the page signs in and reads the API itself)", DocAuth.None)
                .Returns(StatusCodes.Status200OK, "text/html");
        }

        app.MapGet("/dashboard/assets/{file}", static (string file, HttpContext http, DashboardAssets assets) =>
                assets.Files.TryGetValue(file, out var asset)
                    ? asset.Serve(http, http.Request.Query["v"] == assets.Version ? "public, max-age=31536000, immutable" : "no-cache")
                    : ApiError.NotFound($"The dashboard has no file '{file}'.").ToResult())
            .WithVidgateDocs("Dashboard", "A dashboard file (script, style, icon), cached by ETag and version", DocAuth.None, 404)
            .Returns(StatusCodes.Status200OK, "text/javascript");
        return app;
    }
}
