using System.Diagnostics.Metrics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using Vidgate.Server.Accounts;
using Vidgate.Server.Providers.Registry;

namespace Vidgate.Server.Metrics;

/// <summary>
/// <c>GET /metrics</c>: Prometheus text format 0.0.4, written by OpenTelemetry's Prometheus exporter from the
/// <c>Vidgate</c> meter (docs/operations.md says why this exporter). Scrapers rarely hold API keys, so access is the
/// metrics token when one is set, loopback clients when none is, and an admin key always: the route checks that, then
/// hands the request to the exporter. Nothing on the API's request path changes: no middleware, the instruments are
/// recorded where tasks and calls happen.
/// </summary>
internal static class MetricsEndpoints
{
    /// <summary>What Prometheus asks for and what this route has always answered.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static IServiceCollection AddVidgateMetrics(this IServiceCollection services)
    {
        services.AddMetrics();
        services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.Section);
        services.AddOpenTelemetry().WithMetrics(metrics => ((IDeferredMeterProviderBuilder)metrics
            .AddMeter(VidgateMetrics.MeterName))
            .Configure((sp, builder) =>
            {
                // Meters are process-wide by name: another host in the process (tests, or an embedding app) has a
                // Vidgate meter too. Only this host's factory's instruments are ours.
                var factory = sp.GetRequiredService<IMeterFactory>();
                builder.AddView(instrument => ReferenceEquals(instrument.Meter.Scope, factory) ? null : MetricStreamConfiguration.Drop);
            })
            .AddPrometheusExporter(options =>
            {
                // Every scrape sees the counters as they are (the task gauge has its own 2 s cache), and the series
                // carry the documented labels only: no otel_scope_* labels, no target_info.
                options.ScrapeResponseCacheDurationMilliseconds = 0;
                options.ScopeInfoEnabled = false;
                options.TargetInfoEnabled = false;
            }));
        services.AddSingleton<ScrapeGauges>();
        services.AddSingleton<VidgateMetrics>();
        services.AddSingleton<ProviderWrapper>(sp =>
        {
            var metrics = sp.GetRequiredService<VidgateMetrics>();
            return provider => new MeteredProvider(provider, metrics);
        });
        return services;
    }

    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder routes)
    {
        // The exporter ships as middleware; run as a branch of its own, it answers inside this route, after the check.
        var exporter = routes.CreateApplicationBuilder()
            .UseOpenTelemetryPrometheusScrapingEndpoint(meterProvider: null, predicate: static _ => true, path: null, configureBranchedPipeline: null, optionsName: null)
            .Build();
        routes.MapGet("/metrics", (HttpContext http, IOptions<MetricsOptions> options, ScrapeGauges gauges, CallerResolver callers, CancellationToken ct)
                => Scrape(http, options, gauges, exporter, callers, ct))
            .WithVidgateDocs("Operations", "Prometheus metrics (the metrics token, an admin key, or loopback without one)", DocAuth.MetricsToken)
            .Returns(200, "text/plain");
        return routes;
    }

    private static async Task<IResult> Scrape(
        HttpContext http, IOptions<MetricsOptions> options, ScrapeGauges gauges, RequestDelegate exporter, CallerResolver callers, CancellationToken ct)
    {
        if (await RefusalAsync(http, options.Value.Token, callers) is { } refusal)
        {
            return refusal.ToResult();
        }

        await gauges.RefreshAsync(ct);

        // The exporter negotiates OpenMetrics when asked; plain 0.0.4 is what Prometheus gets by default, and its
        // content type is written the way this route has always written it.
        http.Response.OnStarting(() =>
        {
            if (http.Response.StatusCode == 200 && http.Response.ContentType?.StartsWith("text/plain", StringComparison.Ordinal) == true)
            {
                http.Response.ContentType = ContentType;
            }

            return Task.CompletedTask;
        });
        await exporter(http);
        return Results.Empty;
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
