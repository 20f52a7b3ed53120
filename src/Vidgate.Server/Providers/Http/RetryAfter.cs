using System.Globalization;
using System.Net.Http.Headers;

namespace Vidgate.Server.Providers.Http;

/// <summary>An upstream's <c>Retry-After</c>: how long to leave the instance alone.</summary>
internal static class RetryAfter
{
    /// <summary>
    /// The longest wait an upstream can impose: the instance is paused for this long at most, then tried again (and
    /// paused again if it still refuses). Without it a mistaken or hostile header could switch an instance off for years.
    /// </summary>
    public static readonly TimeSpan Max = TimeSpan.FromMinutes(10);

    /// <summary>
    /// <c>Retry-After</c> as delta-seconds (fractional too: some gateways send <c>1.5</c>) or an HTTP date measured from
    /// <paramref name="now"/>; null when absent, unreadable, zero or in the past; at most <see cref="Max"/>.
    /// </summary>
    public static TimeSpan? Parse(HttpResponseHeaders headers, DateTimeOffset now)
    {
        TimeSpan? wait = null;
        if (headers.RetryAfter is { } retry)
        {
            wait = retry.Delta ?? (retry.Date is { } date ? date - now : null);
        }
        else if (headers.TryGetValues("Retry-After", out var values)
                 && double.TryParse(values.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
                 && double.IsFinite(seconds))
        {
            // RetryConditionHeaderValue refuses fractions; read them here.
            wait = seconds >= Max.TotalSeconds ? Max : TimeSpan.FromSeconds(seconds);
        }

        return wait > TimeSpan.Zero ? (wait > Max ? Max : wait) : null;
    }
}
