using System.Text.Json;

namespace Vidgate.Server.Providers.Http;

/// <summary>
/// Builds the instances of one kit vendor. The checks every vendor type shares run here, in one order (keys, base URL,
/// options, then the vendor's own), so that a vendor's type says only what differs: its name, its key rule, the
/// versioned path its base URL must not carry, the fields its adapter sets, and how it makes its provider.
/// </summary>
internal abstract class HttpVendorType<TProvider>(IHttpClientFactory clients, IGuardedFetcher fetcher, TimeProvider clock, ILoggerFactory loggers) : IVideoProviderType
    where TProvider : HttpVendor
{
    public abstract string Type { get; }

    /// <summary>The refusal when a key is missing or unusable, in the vendor's words (which key, in which form).</summary>
    protected abstract string KeysNeeded { get; }

    /// <summary>The versioned path a base URL must not end with (the adapter appends it), and the refusal naming the root to give instead.</summary>
    protected abstract (string Path, string Refusal)? Root { get; }

    /// <summary>Fields the adapter sets from the request, refused in <c>options.parameters</c>.</summary>
    protected abstract IReadOnlyCollection<string> Reserved { get; }

    /// <summary>Options the vendor reads itself (Vertex's <c>project_id</c>), not refused as unknown.</summary>
    protected virtual IReadOnlyCollection<string> Own => [];

    /// <summary>One key's form; by default any non-blank key (Kling's is <c>access|secret</c>).</summary>
    protected virtual bool Usable(string apiKey) => !string.IsNullOrWhiteSpace(apiKey);

    /// <summary>The base URL's check; by default that it does not end with <see cref="Root"/>'s path (fal checks its host instead).</summary>
    protected virtual string? CheckBaseUrl(Uri baseUrl)
        => Root is var (path, refusal) && baseUrl.AbsolutePath.TrimEnd('/').EndsWith(path, StringComparison.Ordinal) ? refusal : null;

    /// <summary>
    /// The options <see cref="VendorOptions"/> reads: all of them, unless the vendor takes one of its own off first (a
    /// price in its own unit, <see cref="VendorPrice"/>); <paramref name="error"/> when that one is wrong.
    /// </summary>
    protected virtual JsonElement? SharedOptions(JsonElement? options, out string? error)
    {
        error = null;
        return options;
    }

    /// <summary>Checks after the shared ones (Vertex's project, location and service-account keys); null when the settings are usable.</summary>
    protected virtual string? CheckMore(UpstreamSettings settings) => null;

    /// <summary>The provider, from settings that passed <see cref="Validate"/>; may throw <see cref="ArgumentException"/> as <see cref="Create(UpstreamSettings)"/> does.</summary>
    protected abstract TProvider Build(UpstreamSettings settings, VendorOptions options, VendorServices services);

    public string? Validate(UpstreamSettings settings)
    {
        if (settings.ApiKeys.Count == 0 || !settings.ApiKeys.All(Usable))
        {
            return KeysNeeded;
        }

        if (CheckBaseUrl(settings.BaseUrl) is { } baseUrlError)
        {
            return baseUrlError;
        }

        var shared = SharedOptions(settings.Options, out var error);
        return error ?? (VendorOptions.Parse(shared, Reserved, Own, out error) is null ? error : CheckMore(settings));
    }

    public IVideoProvider Create(UpstreamSettings settings)
    {
        var shared = SharedOptions(settings.Options, out var error);
        var options = (error is null ? VendorOptions.Parse(shared, Reserved, Own, out error) : null) ?? throw new ArgumentException(error, nameof(settings));
        return Build(settings, options, VendorServices.From(clients, fetcher, clock, loggers, typeof(TProvider).FullName!));
    }
}
