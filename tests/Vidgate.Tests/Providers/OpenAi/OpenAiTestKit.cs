using Vidgate.Fakes;
using Vidgate.Server.Providers;

namespace Vidgate.Tests.Providers.OpenAi;

/// <summary>Builds <c>openai</c> providers the way the server does: through the registered type, from settings.</summary>
internal sealed class OpenAiTestKit(TimeProvider? clock = null) : UpstreamTypeKit("openai", clock)
{
    public IVideoProvider Create(FakeOpenAiUpstream fake, string? options = null, TimeSpan? timeout = null, string? baseSuffix = null)
        => Create(UpstreamJobs.Settings("openai", new Uri(fake.BaseUrl.AbsoluteUri.TrimEnd('/') + baseSuffix), fake.ApiKey, options, timeout));
}
