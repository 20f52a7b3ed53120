using Vidgate.Server.Providers;

namespace Vidgate.Tests.Providers.Contract;

/// <summary>Builds providers of one type as the server does (see <see cref="UpstreamTypeKit"/>), from any settings.</summary>
internal sealed class ContractKit(string type) : UpstreamTypeKit(type, null)
{
    public IVideoProvider Create(Uri baseUrl, string apiKey, TimeSpan timeout, string? options = null)
        => Create(UpstreamJobs.Settings(type, baseUrl, apiKey, options, timeout));
}
