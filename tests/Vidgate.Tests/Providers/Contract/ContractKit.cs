using Vidgate.Server.Providers;

namespace Vidgate.Tests.Providers.Contract;

/// <summary>Builds providers of one type as the server does (see <see cref="UpstreamTypeKit"/>), from any settings.</summary>
internal sealed class ContractKit(string typeName, Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? configure = null) : UpstreamTypeKit(typeName, null, configure)
{
    public IVideoProvider Create(Uri baseUrl, string apiKey, TimeSpan timeout, string? options = null)
        => Create(UpstreamJobs.Settings(Type.Type, baseUrl, apiKey, options, timeout));
}
