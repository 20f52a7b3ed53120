using Microsoft.Extensions.Time.Testing;
using Vidgate.Server.Billing;
using Vidgate.Tests.Data;

namespace Vidgate.Tests.Billing;

/// <summary>
/// The price list in memory: an edit made on another node reaches this one after the refresh interval without a
/// request ever waiting for the database read (the stale list answers until one background read lands), and a
/// reload on this node (what an admin edit does) applies at once.
/// </summary>
public sealed class PriceBookTests : IDisposable
{
    private readonly SqliteEngine _node = new();
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-06-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_edit_on_another_node_is_picked_up_in_the_background_after_the_refresh_interval()
    {
        await _node.Billing.UpsertPriceAsync("grok-imagine-video", 720, 50_000, 0, Ct);
        var book = new PriceBook(_node.Billing, _clock);
        Assert.Equal(50_000, book.Find("grok-imagine-video", 720)!.PerSecond);

        using var other = (SqliteEngine)_node.OpenAnother();
        await other.Billing.UpsertPriceAsync("grok-imagine-video", 720, 70_000, 0, Ct);

        // Within the interval: the list in memory, no read.
        _clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(50_000, book.Find("grok-imagine-video", 720)!.PerSecond);

        // After it: the first use still answers from memory and starts one read; a later use sees the new price.
        _clock.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(50_000, book.Find("grok-imagine-video", 720)!.PerSecond);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (book.Find("grok-imagine-video", 720)!.PerSecond != 70_000)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(10), "the background read never landed");
            await Task.Delay(10, Ct);
        }
    }

    [Fact]
    public async Task A_reload_applies_an_edit_at_once()
    {
        await _node.Billing.UpsertPriceAsync("grok-imagine-video", 720, 50_000, 0, Ct);
        var book = new PriceBook(_node.Billing, _clock);
        Assert.Equal(50_000, book.Find("grok-imagine-video", 720)!.PerSecond);

        await _node.Billing.UpsertPriceAsync("grok-imagine-video", 720, 60_000, 1_000, Ct);
        await book.ReloadAsync(Ct);

        Assert.Equal(new Price(60_000, 1_000), book.Find("grok-imagine-video", 720));
        Assert.Contains(book.All(), row => row is { Model: "grok-imagine-video", Resolution: 720, PerSecond: 60_000 });
    }

    public void Dispose() => _node.Dispose();
}
