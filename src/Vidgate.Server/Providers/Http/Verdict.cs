namespace Vidgate.Server.Providers.Http;

/// <summary>
/// What an upstream's answer means to us, whatever its wire: every HTTP vendor sorts each answer into one of these (its
/// <see cref="HttpVendor.Classify"/>), and the kit turns the verdict into the seam's outcomes the same way for all.
/// </summary>
internal enum Verdict
{
    /// <summary>The call did what it asked: the vendor's body is read by its own parser.</summary>
    Accepted,

    /// <summary>Not now (429, 5xx, a throttling code): another route or a later poll; <c>Retry-After</c> applies to the instance.</summary>
    RetryLater,

    /// <summary>The request itself is wrong (validation): the task fails, no failover (another vendor would refuse it too).</summary>
    Invalid,

    /// <summary>The vendor's moderation refused the request: the task fails with <c>moderation_blocked</c>.</summary>
    Moderated,

    /// <summary>The key is wrong, expired, out of credit or not allowed: that key is left out and the next one tried.</summary>
    BadCredentials,

    /// <summary>What was asked for does not exist (an unknown job, a retired model, an expired result).</summary>
    Gone,
}

/// <summary>Which of the vendor's calls an answer came from (a 404 on a submit and on a poll mean different things).</summary>
internal enum VendorCall
{
    Submit,
    Poll,
    Cancel,
}

/// <summary>
/// A classified answer: the <see cref="Verdict"/>, the vendor's own words (quoted key-redacted by the kit, never raw),
/// and for <see cref="Verdict.Invalid"/> optionally our error code (default <c>upstream_rejected</c>).
/// </summary>
internal sealed record Answer(Verdict Verdict, string? Message = null, string? Code = null);
