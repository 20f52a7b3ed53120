using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Fal;

/// <summary>Builds <c>fal</c> instances: fal.ai's queue (base URL <c>https://queue.fal.run</c>); each key is a fal key (<c>key_id:key_secret</c>).</summary>
internal sealed class FalProviderType(IHttpClientFactory clients, IGuardedFetcher fetcher, TimeProvider clock, ILoggerFactory loggers) : IVideoProviderType
{
    public string Type => "fal";

    public string? Validate(UpstreamSettings settings)
    {
        if (settings.ApiKeys.Count == 0 || settings.ApiKeys.Any(string.IsNullOrWhiteSpace))
        {
            return "a fal instance needs at least one fal key";
        }

        if (settings.BaseUrl.Host.Equals("fal.run", StringComparison.OrdinalIgnoreCase))
        {
            return "base_url is fal's queue host (https://queue.fal.run), not the synchronous fal.run: jobs are queued and polled";
        }

        VendorOptions.Parse(settings.Options, FalProvider.Reserved, out var error);
        return error;
    }

    public IVideoProvider Create(UpstreamSettings settings)
    {
        var options = VendorOptions.Parse(settings.Options, FalProvider.Reserved, out var error) ?? throw new ArgumentException(error, nameof(settings));
        return new FalProvider(settings, options, VendorServices.From(clients, fetcher, clock, loggers, typeof(FalProvider).FullName!));
    }
}
