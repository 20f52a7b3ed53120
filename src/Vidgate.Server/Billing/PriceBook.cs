namespace Vidgate.Server.Billing;

/// <summary>A list price: micro-units per second of output at one resolution, plus per reference image.</summary>
internal sealed record Price(long PerSecond, long PerImage);

internal sealed record PriceRow(string Model, int Resolution, long PerSecond, long PerImage, DateTimeOffset UpdatedAt);

/// <summary>
/// The <c>prices</c> table in memory, so pricing a create costs no query. Reloaded at once after an admin edit on this
/// node and at most <see cref="RefreshAfter"/> later on the others.
/// </summary>
internal sealed class PriceBook(IBillingStore store, TimeProvider clock)
{
    private static readonly TimeSpan RefreshAfter = TimeSpan.FromSeconds(10);
    private volatile Snapshot? _snapshot;

    /// <summary>
    /// The price of <paramref name="model"/> at a short side of <paramref name="resolution"/> pixels: that resolution's
    /// price, else the next priced one above (never cheaper than asked), else the highest. Null: the model has no
    /// price, and cannot be used (an alias is priced on its own: sora-2 and grok-imagine-video are different products).
    /// </summary>
    public Price? Find(string model, int resolution)
    {
        if (!Current().Rows.TryGetValue(model, out var byResolution))
        {
            return null;
        }

        foreach (var (res, price) in byResolution)
        {
            if (res >= resolution)
            {
                return price;
            }
        }

        return byResolution.Values[^1];
    }

    public IReadOnlyList<PriceRow> All() => Current().All;

    public void Invalidate() => _snapshot = null;

    private Snapshot Current()
    {
        var snapshot = _snapshot;
        var now = clock.GetUtcNow();
        if (snapshot is not null && now - snapshot.LoadedAt < RefreshAfter)
        {
            return snapshot;
        }

        // Reads are synchronous inside (an indexed SQLite read); the result is ready when this returns.
        var all = store.PricesAsync(CancellationToken.None).GetAwaiter().GetResult();
        var rows = all.GroupBy(r => r.Model, StringComparer.Ordinal).ToDictionary(
            g => g.Key, g => new SortedList<int, Price>(g.ToDictionary(r => r.Resolution, r => new Price(r.PerSecond, r.PerImage))), StringComparer.Ordinal);
        snapshot = new Snapshot(rows, all, now);
        _snapshot = snapshot;
        return snapshot;
    }

    private sealed record Snapshot(Dictionary<string, SortedList<int, Price>> Rows, IReadOnlyList<PriceRow> All, DateTimeOffset LoadedAt);
}
