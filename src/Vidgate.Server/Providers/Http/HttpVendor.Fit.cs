namespace Vidgate.Server.Providers.Http;

/// <summary>The kit's answer to "can this instance take this request, and what will it make of it?", asked before any call.</summary>
internal abstract partial class HttpVendor : IRequestFit
{
    /// <summary>
    /// What the vendor will really make of <paramref name="job"/> once it takes it: the model's snap (length, short
    /// side, ratio). Null (the default): exactly what was asked. Only asked when <see cref="Refuse"/> let the job through.
    /// </summary>
    protected virtual Fitted? Delivers(UpstreamJob job) => null;

    public RequestFit Fit(UpstreamJob job)
        => Refuse(job) is { } refused ? new RequestFit.Refuses(refused) : new RequestFit.Takes(Delivers(job)?.Delivered);

    /// <summary>
    /// The delivered length a vendor kept in <see cref="UpstreamSubmit.Accepted.State"/> at submit, for vendors whose
    /// finished answer does not say how long the video is (billing settles on it); null when none was kept.
    /// </summary>
    protected static int? DeliveredSeconds(UpstreamHandle handle)
        => int.TryParse(handle.State, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds > 0 ? seconds : null;
}
