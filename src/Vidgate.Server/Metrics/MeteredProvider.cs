using System.Net;
using Vidgate.Server.Providers;

namespace Vidgate.Server.Metrics;

/// <summary>
/// Wraps every remote provider instance the registry builds (a <see cref="Providers.Registry.ProviderWrapper"/>
/// registered by <see cref="MetricsEndpoints.AddVidgateMetrics"/>), so each call to an upstream is counted in one place,
/// by instance, operation and outcome, however many workers make it. Results and exceptions pass through unchanged.
/// </summary>
internal sealed class MeteredProvider(IVideoProvider inner, VidgateMetrics metrics) : IVideoProvider
{
    public UpstreamSettings Settings => inner.Settings;

    public bool SupportsIdempotencyKey => inner.SupportsIdempotencyKey;

    public async Task<UpstreamSubmit> SubmitAsync(UpstreamJob job, CancellationToken ct)
    {
        var result = await Counted("submit", inner.SubmitAsync(job, ct));
        Count("submit", result switch
        {
            UpstreamSubmit.Accepted => "ok",
            UpstreamSubmit.Rejected => "rejected",
            UpstreamSubmit.Finished => "ok",
            _ => "unavailable",
        });
        return result;
    }

    public async Task<UpstreamLookup> FindAsync(string idempotencyKey, string apiKey, CancellationToken ct)
    {
        var result = await Counted("lookup", inner.FindAsync(idempotencyKey, apiKey, ct));
        if (result is not UpstreamLookup.Unsupported)
        {
            Count("lookup", result is UpstreamLookup.Unknown ? "transient" : "ok");
        }

        return result;
    }

    public async Task<UpstreamPoll> PollAsync(UpstreamHandle handle, CancellationToken ct)
    {
        var result = await Counted("poll", inner.PollAsync(handle, ct));
        Count("poll", result switch
        {
            UpstreamPoll.Failed => "failed",
            UpstreamPoll.Transient => "transient",
            _ => "ok",
        });
        return result;
    }

    public async Task CancelAsync(UpstreamHandle handle, CancellationToken ct)
    {
        try
        {
            await inner.CancelAsync(handle, ct);
        }
        catch
        {
            Count("cancel", "error");
            throw;
        }

        Count("cancel", "ok");
    }

    public async Task<HttpResponseMessage> OpenResultAsync(UpstreamHandle handle, UpstreamPoll.Done done, CancellationToken ct)
    {
        var response = await Counted("download", inner.OpenResultAsync(handle, done, ct));
        Count("download", response.IsSuccessStatusCode ? "ok"
            : (int)response.StatusCode >= 500 || response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout ? "transient"
            : "rejected");
        return response;
    }

    public Task<string?> CheckAsync(CancellationToken ct) => inner.CheckAsync(ct);

    private void Count(string operation, string outcome) => metrics.UpstreamRequest(Settings.Id, operation, outcome);

    /// <summary>Awaits the call; a thrown call (timeout, connection error, bug) counts as <c>error</c> and is re-thrown.</summary>
    private async Task<T> Counted<T>(string operation, Task<T> call)
    {
        try
        {
            return await call;
        }
        catch
        {
            Count(operation, "error");
            throw;
        }
    }
}
