namespace Vidgate.Server.Providers;

/// <summary>
/// HTTP GET for URLs we did not choose ourselves (upstream result URLs, <c>image_url</c> inputs): http(s) only, DNS
/// resolved once, private / loopback / link-local / metadata addresses refused unless allowlisted by the operator.
/// </summary>
internal interface IGuardedFetcher
{
    /// <summary>Sends a GET with the given headers; throws <see cref="FetchRefusedException"/> for a refused address.</summary>
    Task<HttpResponseMessage> GetAsync(Uri url, IReadOnlyDictionary<string, string>? headers, CancellationToken ct);
}

/// <summary>The SSRF guard refused a URL; the message says why (no secrets in it).</summary>
internal sealed class FetchRefusedException(string message) : Exception(message);
