using System.Globalization;

namespace Vidgate.Server.Billing;

/// <summary>
/// Amounts are <see cref="long"/> micro-units of the operator's currency (1.00 = 1 000 000): integers add up exactly,
/// floating point does not. Multipliers are millionths too (1 000 000 = ×1).
/// </summary>
internal static class Money
{
    public const long Unit = 1_000_000;

    /// <summary>
    /// What a video costs: (per second × seconds + per image × images) × multiplier, rounded up to a whole micro-unit
    /// (rounding never favours the caller by more than one micro-unit, and never the operator at all).
    /// </summary>
    public static long Cost(long perSecond, int seconds, long perImage, int images, long multiplier)
    {
        var raw = (Int128)perSecond * seconds + (Int128)perImage * images;
        var scaled = (raw * multiplier + (Unit - 1)) / Unit;
        return scaled > long.MaxValue ? long.MaxValue : (long)scaled;
    }

    /// <summary>USD ticks per US dollar (xAI's <c>cost_in_usd_ticks</c>, api-contracts.md §3.3).</summary>
    public const long UsdTicksPerDollar = 10_000_000_000;

    /// <summary>USD ticks as an exact decimal string with ten digits after the point: <c>1.2500000000</c>.</summary>
    public static string FormatUsdTicks(Int128 ticks)
    {
        var sign = ticks < 0 ? "-" : "";
        var abs = Int128.Abs(ticks);
        return string.Create(CultureInfo.InvariantCulture, $"{sign}{abs / UsdTicksPerDollar}.{(long)(abs % UsdTicksPerDollar):D10}");
    }

    /// <summary>For messages: <c>0.560000</c>.</summary>
    public static string Format(long micros)
    {
        var sign = micros < 0 ? "-" : "";
        var abs = micros == long.MinValue ? (ulong)long.MaxValue + 1 : (ulong)Math.Abs(micros);
        return string.Create(CultureInfo.InvariantCulture, $"{sign}{abs / Unit}.{abs % Unit:D6}");
    }
}
