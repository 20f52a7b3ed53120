using System.Text.Json;
using System.Text.Json.Nodes;

namespace Vidgate.Server.Providers.Http;

/// <summary>
/// A price option of a vendor that reports usage in its own units, not money (Ark's output tokens, DashScope's billed
/// seconds): with the price the operator pays per unit (<c>usd_per_million_tokens</c>, <c>usd_per_second</c>) the
/// reported usage becomes the upstream cost, as xAI's USD is. Taken off the options before <see cref="VendorOptions"/>
/// reads them, so each vendor names its own unit and the shared options stay the same for all.
/// </summary>
internal static class VendorPrice
{
    /// <summary>USD ticks (see <see cref="UpstreamPoll.Done.CostUsdTicks"/>).</summary>
    public const long TicksPerUsd = 10_000_000_000;

    /// <summary>
    /// The options without <paramref name="name"/>, and its price when set; <paramref name="error"/> when it is not a
    /// non-negative number of USD (the result is then null).
    /// </summary>
    public static JsonElement? Split(JsonElement? options, string name, out decimal? price, out string? error)
    {
        price = null;
        error = null;
        if (options is not { ValueKind: JsonValueKind.Object } root || !root.TryGetProperty(name, out var value))
        {
            return options;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out var usd) || usd < 0 || usd > 1_000_000)
        {
            error = $"options.{name} must be a non-negative number of USD";
            return null;
        }

        price = usd;
        var rest = new JsonObject();
        foreach (var property in root.EnumerateObject().Where(p => p.Name != name))
        {
            rest[property.Name] = JsonNode.Parse(property.Value.GetRawText());
        }

        using var document = JsonDocument.Parse(rest.ToJsonString());
        return document.RootElement.Clone();
    }

    /// <summary>The cost of <paramref name="units"/> at <paramref name="price"/> USD per <paramref name="per"/> units, in USD ticks; null without both or past any real bill.</summary>
    public static long? Ticks(decimal? price, double? units, decimal per)
    {
        if (price is not { } usd || units is not (>= 0 and < 1e12))
        {
            return null;
        }

        var ticks = (decimal)units.Value / per * usd * TicksPerUsd;
        return ticks < long.MaxValue ? (long)Math.Round(ticks) : null;
    }
}
