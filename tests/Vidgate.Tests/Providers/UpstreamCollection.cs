namespace Vidgate.Tests.Providers;

/// <summary>
/// The upstream test classes run one after another (each starts servers, fakes and ffmpeg previews): together they would
/// load the shared cores and disk enough to starve timing-sensitive tests of other classes running beside them.
/// </summary>
[CollectionDefinition(Name)]
public sealed class UpstreamCollection
{
    public const string Name = "upstream providers";
}
