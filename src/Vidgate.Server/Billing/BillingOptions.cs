using System.ComponentModel.DataAnnotations;

namespace Vidgate.Server.Billing;

/// <summary>Deploy-time billing settings (section <c>Billing</c>). Prices, tiers and balances live in the database.</summary>
internal sealed class BillingOptions
{
    public const string Section = "Billing";

    /// <summary>
    /// Credit, in micro-units, given to the new account of a key made by <c>POST /admin/keys</c> without an
    /// <c>account_id</c>, recorded as a ledger top-up. 5.000000 = about 70 s of 720P at the default prices.
    /// </summary>
    [Range(0, long.MaxValue)]
    public long NewAccountCredit { get; set; } = 5 * Money.Unit;

    /// <summary>The tier of those new accounts.</summary>
    [Required]
    public string NewAccountTier { get; set; } = "default";

    /// <summary>Failed authentications allowed per client IP per minute; more get 429.</summary>
    [Range(1, int.MaxValue)]
    public int FailedAuthPerMinute { get; set; } = 60;

    /// <summary>How long an <c>Idempotency-Key</c> is remembered.</summary>
    public TimeSpan IdempotencyKeyLifetime { get; set; } = TimeSpan.FromHours(24);
}
