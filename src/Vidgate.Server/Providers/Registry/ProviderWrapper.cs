namespace Vidgate.Server.Providers.Registry;

/// <summary>
/// Wraps every remote provider instance the registry builds, in registration order (e.g. metering, registered by
/// <c>Metrics</c>): the providers know nothing of what observes them.
/// </summary>
internal delegate IVideoProvider ProviderWrapper(IVideoProvider provider);
