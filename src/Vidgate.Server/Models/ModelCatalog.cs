using Microsoft.Extensions.Options;

namespace Vidgate.Server.Models;

/// <summary>One model's limits and where it runs. Data, not code: later providers plug in by adding entries.</summary>
internal sealed class ModelSpec
{
    public int MaxSeconds { get; set; } = 15;
    public int DefaultSeconds { get; set; } = 6;

    /// <summary>Short-side pixel counts callers may ask for, e.g. 480 and 720.</summary>
    public int[] Resolutions { get; set; } = [480, 720];

    public int DefaultResolution { get; set; } = 720;
    public int MaxImages { get; set; } = 7;

    /// <summary>The provider route; with nothing configured every model renders on <c>builtin</c>.</summary>
    public string Provider { get; set; } = "builtin";
}

/// <summary>Section <c>Models</c>: model name → <see cref="ModelSpec"/>. Defaults ship <c>grok-imagine-video</c>.</summary>
internal sealed class ModelCatalogOptions
{
    public const string Section = "Models";

    public Dictionary<string, ModelSpec> Models { get; set; } = new(StringComparer.Ordinal)
    {
        ["grok-imagine-video"] = new ModelSpec(),
    };
}

internal sealed class ModelCatalog(IOptions<ModelCatalogOptions> options)
{
    public ModelSpec? Find(string name) => options.Value.Models.GetValueOrDefault(name);

    public IEnumerable<string> Names => options.Value.Models.Keys;

    /// <summary>Every provider some model routes to; the dispatcher claims tasks of the ones it runs.</summary>
    public IReadOnlyCollection<string> Providers => [.. options.Value.Models.Values.Select(m => m.Provider).Distinct()];
}
