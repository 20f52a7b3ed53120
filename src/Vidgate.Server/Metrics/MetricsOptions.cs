namespace Vidgate.Server.Metrics;

/// <summary>Access to <c>/metrics</c> (section <c>Vidgate:Metrics</c>).</summary>
internal sealed class MetricsOptions
{
    public const string Section = "Vidgate:Metrics";

    /// <summary>
    /// Bearer token scrapers send (they rarely hold API keys). Unset: <c>/metrics</c> answers loopback clients only.
    /// Either way an admin API key is accepted too. Env: <c>VIDGATE_METRICS_TOKEN</c>.
    /// </summary>
    public string? Token { get; set; }
}
