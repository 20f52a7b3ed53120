namespace Vidgate.Server.Billing;

/// <summary>
/// What a caller may do and what it pays: its account's tier, narrowed by the key's own limits. Resolved with the key
/// (and cached with it), so checking it costs no database query. Null limits mean none.
/// </summary>
internal sealed record Plan(
    string TierId,
    long PriceMultiplier,
    IReadOnlySet<string>? AllowedModels,
    int? MaxSeconds,
    int? MaxResolution,
    int? RequestsPerMinute,
    int? MaxInFlight,
    bool Unmetered)
{
    /// <summary>No limits, list prices, never refused for balance (the bootstrap admin's account).</summary>
    public static Plan Unlimited { get; } = new("unlimited", Money.Unit, null, null, null, null, null, Unmetered: true);

    public bool Allows(string model) => AllowedModels is null || AllowedModels.Contains(model);
}
