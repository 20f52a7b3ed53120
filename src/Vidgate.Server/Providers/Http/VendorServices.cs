namespace Vidgate.Server.Providers.Http;

/// <summary>What every HTTP vendor instance is built with, handed over by its <see cref="IVideoProviderType"/> in one piece.</summary>
/// <param name="Http">The shared upstream client (no redirects, pooled; <see cref="UpstreamExtensions.HttpClientName"/>).</param>
/// <param name="Fetcher">The SSRF guard, for every URL the vendor's answers chose.</param>
/// <param name="Clock">Per-call timeouts, <c>Retry-After</c> dates, signed-token windows.</param>
internal sealed record VendorServices(HttpClient Http, IGuardedFetcher Fetcher, TimeProvider Clock, ILogger Logger)
{
    public static VendorServices From(IHttpClientFactory clients, IGuardedFetcher fetcher, TimeProvider clock, ILoggerFactory loggers, string category)
        => new(clients.CreateClient(UpstreamExtensions.HttpClientName), fetcher, clock, loggers.CreateLogger(category));
}
