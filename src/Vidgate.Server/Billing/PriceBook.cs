namespace Vidgate.Server.Billing;

/// <summary>A list price: micro-units per second of output at one resolution, plus per reference image.</summary>
internal sealed record Price(long PerSecond, long PerImage);

internal sealed record PriceRow(string Model, int Resolution, long PerSecond, long PerImage, DateTimeOffset UpdatedAt);

/// <summary>
/// The <c>prices</c> table in memory, so pricing a create costs no query. Reloaded at once after an admin edit on this
/// node and, on the others, by a background read at the first use after <see cref="RefreshAfter"/> (until it lands,
/// the previous prices answer).
/// </summary>
internal sealed class PriceBook(IBillingStore store, TimeProvider clock)
{
    private static readonly TimeSpan RefreshAfter = TimeSpan.FromSeconds(10);
    private volatile Snapshot? _snapshot;
    private int _refreshing;

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

    /// <summary>Reads the table now (after an admin edit on this node, or to list what is stored right now).</summary>
    public async Task ReloadAsync(CancellationToken ct)
    {
        var all = await store.PricesAsync(ct);
        _snapshot = Build(all, clock.GetUtcNow());
    }

    private Snapshot Current()
    {
        var snapshot = _snapshot;
        if (snapshot is null)
        {
            // Only the first use on this node waits for the read: on PostgreSQL that is network I/O, and blocking a
            // request thread for it at every refresh starved the thread pool under load (docs/benchmarks.md).
            snapshot = Build(store.PricesAsync(CancellationToken.None).GetAwaiter().GetResult(), clock.GetUtcNow());
            _snapshot = snapshot;
        }
        else if (clock.GetUtcNow() - snapshot.LoadedAt >= RefreshAfter && Interlocked.CompareExchange(ref _refreshing, 1, 0) == 0)
        {
            // Stale: answer with what we have, and let one background read (not one per request) bring it up to date.
            _ = RefreshAsync();
        }

        return snapshot;
    }

    private async Task RefreshAsync()
    {
        try
        {
            await ReloadAsync(CancellationToken.None);
        }
        catch (Exception)
        {
            // The database is unreachable for a moment: keep the prices we have; the next use after RefreshAfter tries again.
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }

    private static Snapshot Build(IReadOnlyList<PriceRow> all, DateTimeOffset now)
    {
        var rows = all.GroupBy(r => r.Model, StringComparer.Ordinal).ToDictionary(
            g => g.Key, g => new SortedList<int, Price>(g.ToDictionary(r => r.Resolution, r => new Price(r.PerSecond, r.PerImage))), StringComparer.Ordinal);
        return new Snapshot(rows, all, now);
    }

    private sealed record Snapshot(Dictionary<string, SortedList<int, Price>> Rows, IReadOnlyList<PriceRow> All, DateTimeOffset LoadedAt);
}
