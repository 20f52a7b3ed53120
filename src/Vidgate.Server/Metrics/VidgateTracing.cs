using System.Diagnostics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Vidgate.Server.Metrics;

/// <summary>
/// Traces, off unless an OTLP endpoint is configured (<c>Vidgate:Telemetry:OtlpEndpoint</c>, or the standard
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>): ASP.NET Core requests, outgoing HttpClient calls (upstreams, image fetches) and
/// one span per worker step, each carrying the task id. With nothing configured no tracer listens and a step's span
/// costs one check.
/// </summary>
internal static class VidgateTracing
{
    public const string SourceName = "Vidgate";
    public const string Section = "Vidgate:Telemetry";

    /// <summary>The attribute every Vidgate span carries: ids are not secret, and they are what an operator searches by.</summary>
    public const string TaskIdAttribute = "vidgate.task_id";

    private static readonly ActivitySource Source = new(SourceName);

    public static IServiceCollection AddVidgateTracing(this IServiceCollection services, IConfiguration configuration)
    {
        var own = configuration[Section + ":OtlpEndpoint"];
        var standard = configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        if (string.IsNullOrWhiteSpace(own) && string.IsNullOrWhiteSpace(standard))
        {
            return services;
        }

        Uri? endpoint = null;
        if (!string.IsNullOrWhiteSpace(own) && (!Uri.TryCreate(own, UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("http" or "https")))
        {
            throw new InvalidOperationException($"{Section}:OtlpEndpoint must be an http(s) URL, e.g. http://127.0.0.1:4317; got '{own}'.");
        }

        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("vidgate"))
            .WithTracing(tracing => Instrument(tracing).AddOtlpExporter(options =>
            {
                // Unset, the exporter reads OTEL_EXPORTER_OTLP_ENDPOINT / _PROTOCOL / _HEADERS itself.
                if (endpoint is not null)
                {
                    options.Endpoint = endpoint;
                }
            }));
        return services;
    }

    /// <summary>What is traced, whatever the exporter (OTLP here, in-memory in the tests).</summary>
    public static TracerProviderBuilder Instrument(TracerProviderBuilder tracing) => tracing
        .AddSource(SourceName)
        // Upstream callbacks carry a per-job secret in the path: it must not reach a trace backend.
        .AddAspNetCoreInstrumentation(options => options.Filter = http =>
            !http.Request.Path.StartsWithSegments("/metrics") && !http.Request.Path.StartsWithSegments(Tasks.CallbackTokens.Path))
        .AddHttpClientInstrumentation();

    /// <summary>A worker step's span (claim, submit, poll, finish, render), or null when nobody listens; disposing ends it.</summary>
    public static Activity? Step(string step, string taskId)
        => Source.StartActivity("vidgate." + step, ActivityKind.Internal)?.SetTag(TaskIdAttribute, taskId);

    /// <summary>Tags the current request's span with the task it created, so a create can be found by its id.</summary>
    public static void TagCurrent(string taskId) => Activity.Current?.SetTag(TaskIdAttribute, taskId);
}
