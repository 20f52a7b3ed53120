using System.Collections.ObjectModel;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using Vidgate.Server.Metrics;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Metrics;

/// <summary>
/// Traces as an operator sees them in their backend: the same instrumentation the OTLP path configures, exported in
/// memory instead.
/// </summary>
public sealed class TracingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_create_and_its_render_are_spans_carrying_the_task_id()
    {
        var spans = new Spans();
        using var app = new VidgateApp(services: s => s.AddOpenTelemetry().WithTracing(t => VidgateTracing.Instrument(t).AddInMemoryExporter(spans)));
        var (key, accountId) = await app.NewKeyAsync("tracing");
        await app.TopUpAsync(accountId, 1000_000_000);
        using var client = app.Client(key);

        var id = (await client.CreateAsync(new { model = "grok-imagine-video", prompt = "a lighthouse at dusk", seconds = 1, resolution = "480P" }))
            .GetProperty("id").GetString()!;
        await client.WaitForAsync(id, "completed");

        // A span is exported when it ends; the claim's ends just after the completion the poll above saw.
        Activity[] mine;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        do
        {
            mine = [.. spans.Snapshot().Where(s => s.GetTagItem(VidgateTracing.TaskIdAttribute) as string == id)];
            if (mine.Any(s => s.OperationName == "vidgate.claim"))
            {
                break;
            }

            await Task.Delay(50, Ct);
        }
        while (DateTime.UtcNow < deadline);

        var create = Assert.Single(mine, s => s.Kind == ActivityKind.Server);
        Assert.Equal("POST", create.GetTagItem("http.request.method"));
        Assert.Equal(200, create.GetTagItem("http.response.status_code"));

        var claim = Assert.Single(mine, s => s.OperationName == "vidgate.claim");
        var render = Assert.Single(mine, s => s.OperationName == "vidgate.render");
        Assert.Equal(claim.SpanId, render.ParentSpanId);
        Assert.Equal(claim.TraceId, render.TraceId);
        Assert.True(render.Duration > TimeSpan.Zero);
        Assert.True(claim.Duration >= render.Duration);

        // Another task's spans never carry this id, and the scrapes are not traced.
        Assert.DoesNotContain(spans.Snapshot(), s => s.OperationName.StartsWith("vidgate.", StringComparison.Ordinal) && s.GetTagItem(VidgateTracing.TaskIdAttribute) is null);
    }

    [Fact]
    public void Tracing_is_off_unless_an_endpoint_is_configured()
    {
        using var off = new VidgateApp(settings: new() { ["Vidgate:Workers"] = "false" });
        Assert.Null(off.Services.GetService<TracerProvider>());

        using var on = new VidgateApp(settings: new() { ["Vidgate:Workers"] = "false", ["Vidgate:Telemetry:OtlpEndpoint"] = "http://127.0.0.1:4317" });
        Assert.NotNull(on.Services.GetService<TracerProvider>());
    }

    [Fact]
    public void A_bad_endpoint_stops_the_start_with_the_setting_named()
    {
        using var app = new VidgateApp(settings: new() { ["Vidgate:Workers"] = "false", ["Vidgate:Telemetry:OtlpEndpoint"] = "collector:4317" });
        var error = Assert.ThrowsAny<Exception>(() => app.Services);
        Assert.Contains("Vidgate:Telemetry:OtlpEndpoint", error.ToString(), StringComparison.Ordinal);
    }

    /// <summary>The in-memory exporter adds from whichever thread ends a span; reads take a snapshot under the same lock.</summary>
    private sealed class Spans : Collection<Activity>
    {
        private readonly Lock _gate = new();

        public Activity[] Snapshot()
        {
            lock (_gate)
            {
                return [.. this];
            }
        }

        protected override void InsertItem(int index, Activity item)
        {
            lock (_gate)
            {
                base.InsertItem(index, item);
            }
        }
    }
}
