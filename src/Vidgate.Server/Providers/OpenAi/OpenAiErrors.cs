using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace Vidgate.Server.Providers.OpenAi;

/// <summary>Turns upstream refusals into our error codes and messages that are safe to show a client.</summary>
internal static class OpenAiErrors
{
    public const string ModerationBlocked = "moderation_blocked";
    private const int MaxMessageLength = 400;

    private static readonly string[] ModerationCodeWords = ["moderation", "content_policy", "content_filter", "safety", "sensitive"];

    private static readonly string[] ModerationMessageWords =
        ["moderation", "content policy", "content_policy", "content filter", "safety system", "policy violation", "violates our", "sensitive content", "nsfw"];

    public static bool IsModeration(string? code, string? message) =>
        (code is not null && ModerationCodeWords.Any(w => code.Contains(w, StringComparison.OrdinalIgnoreCase)))
        || (message is not null && ModerationMessageWords.Any(w => message.Contains(w, StringComparison.OrdinalIgnoreCase)));

    /// <summary>Our code for a definite 4xx refusal of a create.</summary>
    public static string RejectCode(HttpStatusCode status, string? code, string? message) => IsModeration(code, message)
        ? ModerationBlocked
        : status switch
        {
            HttpStatusCode.Unauthorized => "upstream_auth_failed",
            HttpStatusCode.Forbidden => "upstream_forbidden",
            HttpStatusCode.NotFound => "upstream_not_found",
            HttpStatusCode.RequestEntityTooLarge => "upstream_payload_too_large",
            _ => "upstream_rejected",
        };

    /// <summary>Our code for a job the upstream says failed.</summary>
    public static string FailureCode(UpstreamState state, string? code, string? message) => IsModeration(code, message)
        ? ModerationBlocked
        : state switch
        {
            UpstreamState.Expired => "upstream_expired",
            UpstreamState.Cancelled => "upstream_cancelled",
            _ => "upstream_failed",
        };

    /// <summary>
    /// The upstream's own words, shortened, with the key cut out: some upstreams echo the key they refused
    /// ("Incorrect API key provided: sk-…"), and messages end up in task errors and logs.
    /// </summary>
    public static string Safe(string? message, string apiKey, string fallback)
    {
        var text = string.IsNullOrWhiteSpace(message) ? fallback : message.Trim();
        if (apiKey.Length >= 4)
        {
            text = text.Replace(apiKey, "[redacted]", StringComparison.Ordinal);
        }

        return text.Length <= MaxMessageLength ? text : string.Concat(text.AsSpan(0, MaxMessageLength), "…");
    }

    /// <summary><c>Retry-After</c> as seconds or an HTTP date; null when absent or in the past.</summary>
    public static TimeSpan? RetryAfter(HttpResponseHeaders headers, DateTimeOffset now)
    {
        if (headers.RetryAfter is { } retry)
        {
            var wait = retry.Delta ?? (retry.Date is { } date ? date - now : null);
            return wait > TimeSpan.Zero ? wait : null;
        }

        // Some gateways send fractional seconds, which RetryConditionHeaderValue refuses.
        return headers.TryGetValues("Retry-After", out var values)
            && double.TryParse(values.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : null;
    }
}
