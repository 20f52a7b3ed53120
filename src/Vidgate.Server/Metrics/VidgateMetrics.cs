using System.Diagnostics.Metrics;
using OpenTelemetry.Metrics;
using Vidgate.Server.Billing;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Metrics;

/// <summary>
/// The instruments of the one <c>Vidgate</c> meter, recorded where things happen: by whoever requested a transition and
/// got <c>true</c> from the store (the create, the owner's cancel, the workers' endings), by the worker that ran a local
/// render, and by the provider wrapper (<see cref="MeteredProvider"/>) for upstream calls. Created through <see cref="IMeterFactory"/>, so each host (and each test
/// server in one process) has its own meter, and its OpenTelemetry <see cref="MeterProvider"/> keeps only its own (see
/// <see cref="MetricsEndpoints"/>).
/// An instrument nobody listens to costs one branch. Label values are bounded by construction: statuses, provider
/// names, dialects, configured model names, fixed operation and outcome words; never ids, prompts, keys or accounts.
/// </summary>
internal sealed class VidgateMetrics
{
    public const string MeterName = "Vidgate";

    /// <summary>Render wall times cluster between a second (1 s at 480p) and two minutes (15 s at 720p on a busy node).</summary>
    public static readonly IReadOnlyList<double> RenderBuckets = [0.5, 1, 2, 5, 10, 20, 30, 60, 90, 120];

    private readonly Counter<long> _created;
    private readonly Counter<long> _finished;
    private readonly Histogram<double> _render;
    private readonly Counter<long> _upstream;
    private readonly Counter<long> _charged;
    private readonly Counter<long> _refunded;
    private readonly Counter<long> _callbacks;

    /// <summary>The <c>result</c> words of <c>vidgate_upstream_callbacks_total</c>.</summary>
    public static readonly string[] CallbackResults = ["woken", "idle", "challenge", "unknown", "bad_signature", "rate_limited", "too_large"];

    /// <param name="exporter">Taken so the exporter listens before the first measurement (the zeros below) is made.</param>
    public VidgateMetrics(IMeterFactory meters, MeterProvider exporter)
    {
        ArgumentNullException.ThrowIfNull(exporter);
        var meter = meters.Create(MeterName);
        _created = meter.CreateCounter<long>("vidgate.tasks.created", "{task}", "Tasks created, by request dialect and model.");
        _finished = meter.CreateCounter<long>("vidgate.tasks.finished", "{task}", "Tasks that reached an end state (completed, failed, cancelled), by provider.");
        _render = meter.CreateHistogram("vidgate.render.seconds", "s", "Wall time of finished builtin (ffmpeg) renders, by outcome.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = RenderBuckets });
        _upstream = meter.CreateCounter<long>("vidgate.upstream.requests", "{request}",
            "Calls to remote provider instances, by instance, operation (submit, poll, download, lookup, cancel) and outcome.");
        _charged = meter.CreateCounter<long>("vidgate.billing.charged_micros", "{micro}", "Micro-units charged when tasks completed (settled holds).");
        _refunded = meter.CreateCounter<long>("vidgate.billing.refunded_micros", "{micro}",
            "Micro-units of holds given back: whole holds of failed and cancelled tasks, the unused part of settled ones.");

        _callbacks = meter.CreateCounter<long>("vidgate.upstream.callbacks", "{callback}",
            "Upstream callbacks received, by result (woken, idle, challenge, unknown, bad_signature, rate_limited, too_large).");

        // Known series start at zero, so rate() and absent-series alerts work from the first scrape.
        foreach (var result in CallbackResults)
        {
            _callbacks.Add(0, new KeyValuePair<string, object?>("result", result));
        }

        _charged.Add(0);
        _refunded.Add(0);
        foreach (var status in (ReadOnlySpan<VideoStatus>)[VideoStatus.Completed, VideoStatus.Failed, VideoStatus.Cancelled])
        {
            foreach (var provider in (ReadOnlySpan<string>)["builtin", "upstream"])
            {
                _finished.Add(0, new("status", StatusLabel(status)), new("provider", provider));
            }
        }
    }

    /// <summary>
    /// The <c>provider</c> label of task series: a local provider's own id (<c>builtin</c>); <c>upstream</c> for every
    /// remote instance together, so the series stay few (per-instance detail is on <c>vidgate_upstream_requests</c>).
    /// </summary>
    public static string ProviderLabel(string provider, bool local) => local ? provider : "upstream";

    public void TaskCreated(VideoTask task)
    {
        _created.Add(1, new("dialect", DialectLabel(task.Dialect)), new("model", task.Model));
        VidgateTracing.TagCurrent(task.Id);
    }

    /// <summary>A terminal transition committed: counts the task and the money its hold moved.</summary>
    public void TaskFinished(VideoStatus status, string provider, HoldClosed? hold)
    {
        _finished.Add(1, new("status", StatusLabel(status)), new("provider", provider));
        if (hold is { } closed)
        {
            _charged.Add(closed.Charged);
            _refunded.Add(closed.Returned);
        }
    }

    public void Rendered(double seconds, string outcome) => _render.Record(seconds, new KeyValuePair<string, object?>("outcome", outcome));

    public void UpstreamRequest(string provider, string operation, string outcome)
        => _upstream.Add(1, new("provider", provider), new("operation", operation), new("outcome", outcome));

    /// <summary>An upstream callback was answered; <paramref name="result"/> is one of <see cref="CallbackResults"/>.</summary>
    public void UpstreamCallback(string result) => _callbacks.Add(1, new KeyValuePair<string, object?>("result", result));

    public static string StatusLabel(VideoStatus status) => status.Word();

    private static string DialectLabel(Dialect dialect) => dialect switch
    {
        Dialect.Seed => "seed",
        Dialect.OpenAi => "openai",
        Dialect.Xai => "xai",
        _ => "legacy_grok",
    };
}
