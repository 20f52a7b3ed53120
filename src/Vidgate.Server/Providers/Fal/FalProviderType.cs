using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Fal;

/// <summary>Builds <c>fal</c> instances: fal.ai's queue (base URL <c>https://queue.fal.run</c>); each key is a fal key (<c>key_id:key_secret</c>).</summary>
internal sealed class FalProviderType(IHttpClientFactory clients, IGuardedFetcher fetcher, TimeProvider clock, ILoggerFactory loggers, FalWebhookKeys webhookKeys)
    : HttpVendorType<FalProvider>(clients, fetcher, clock, loggers)
{
    public override string Type => "fal";

    protected override string KeysNeeded => "a fal instance needs at least one fal key";

    protected override (string Path, string Refusal)? Root => null;

    protected override IReadOnlyCollection<string> Reserved => FalProvider.Reserved;

    /// <summary>Where the keys fal signs its callbacks with come from (<see cref="FalWebhookOptions"/>).</summary>
    protected override IReadOnlyCollection<string> Own => FalWebhookOptions.Names;

    protected override string? CheckMore(UpstreamSettings settings)
    {
        FalWebhookOptions.Parse(settings.Options, out var error);
        return error;
    }

    /// <summary>fal's base URL is a host, not a path: the queue's, never the synchronous one.</summary>
    protected override string? CheckBaseUrl(Uri baseUrl) => baseUrl.Host.Equals("fal.run", StringComparison.OrdinalIgnoreCase)
        ? "base_url is fal's queue host (https://queue.fal.run), not the synchronous fal.run: jobs are queued and polled"
        : null;

    protected override FalProvider Build(UpstreamSettings settings, VendorOptions options, VendorServices services)
        => new(settings, options, services, FalWebhookOptions.Parse(settings.Options, out var error) ?? throw new ArgumentException(error, nameof(settings)), webhookKeys);
}
