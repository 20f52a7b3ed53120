using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Vidgate.Server.Accounts;
using Vidgate.Server.Providers.Registry;

namespace Vidgate.Server.Metrics;

/// <summary>
/// <c>GET /metrics</c>: Prometheus text format 0.0.4. Scrapers rarely hold API keys, so access is the metrics token
/// when one is set, loopback clients when none is, and an admin key always. Nothing on the API's request path changes:
/// no middleware, the instruments are recorded where tasks and calls happen.
/// </summary>
internal static class MetricsEndpoints
{
    public static IServiceCollection AddVidgateMetrics(this IServiceCollection services)
    {
        services.AddMetrics();
        services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.Section);
        services.AddSingleton<MetricsCollector>();
        services.AddSingleton<VidgateMetrics>();
        services.AddSingleton<ProviderWrapper>(sp =>
        {
            var metrics = sp.GetRequiredService<VidgateMetrics>();
            return provider => new MeteredProvider(provider, metrics);
        });
        services.AddSingleton<MetricsExposition>();
        return services;
    }

    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/metrics", Scrape)
            .WithVidgateDocs("Operations", "Prometheus metrics (the metrics token, an admin key, or loopback without one)", DocAuth.MetricsToken)
            .Returns(200, "text/plain");
        return routes;
    }

    private static async Task<IResult> Scrape(HttpContext http, IOptions<MetricsOptions> options, MetricsExposition exposition, CallerResolver callers, CancellationToken ct)
    {
        if (await RefusalAsync(http, options.Value.Token, callers) is { } refusal)
        {
            return refusal.ToResult();
        }

        return TypedResults.Text(await exposition.RenderAsync(ct), PrometheusText.ContentType);
    }

    /// <summary>Null when the request may read the metrics; otherwise the error to answer.</summary>
    private static async Task<ApiError?> RefusalAsync(HttpContext http, string? token, CallerResolver callers)
    {
        var hasToken = !string.IsNullOrWhiteSpace(token);
        if (!hasToken && IsLocal(http.Connection.RemoteIpAddress))
        {
            return null;
        }

        if (hasToken && TokenMatches(http.Request.Headers.Authorization.ToString(), token!))
        {
            return null;
        }

        if (!hasToken && string.IsNullOrEmpty(http.Request.Headers.Authorization))
        {
            return new ApiError(403, "metrics_forbidden",
                "/metrics answers loopback clients only. Set Vidgate:Metrics:Token (VIDGATE_METRICS_TOKEN) to let remote scrapers in, or send an admin key.");
        }

        // Not the token: maybe an admin key. A wrong one counts towards the client's failed-authentication limit, so the
        // token cannot be guessed faster than a key can.
        var (caller, error) = await callers.ResolveAsync(http, "Missing or invalid metrics token. Send it as 'Authorization: Bearer <token>' (an admin key works too).");
        return error ?? (caller!.IsAdmin ? null : new ApiError(403, "admin_required", "/metrics needs the metrics token or an admin key."));
    }

    /// <summary>
    /// Loopback, or no IP at all (a Unix socket or an in-process client: reachable from this machine only). Behind a
    /// reverse proxy on the same host every client looks local: set a token there.
    /// </summary>
    public static bool IsLocal(IPAddress? remote)
        => remote is null || IPAddress.IsLoopback(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote);

    /// <summary>Constant-time: both sides are hashed first, so neither the content nor the length leaks through timing.</summary>
    public static bool TokenMatches(string authorization, string token)
    {
        const string scheme = "Bearer ";
        if (!authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var sent = SHA256.HashData(Encoding.UTF8.GetBytes(authorization[scheme.Length..].Trim()));
        var expected = SHA256.HashData(Encoding.UTF8.GetBytes(token.Trim()));
        return CryptographicOperations.FixedTimeEquals(sent, expected);
    }
}
