using System.Net;

namespace Vidgate.Server.Providers.OpenAi;

/// <summary>Turns upstream refusals into our error codes (their words are quoted key-redacted through the provider kit).</summary>
internal static class OpenAiErrors
{
    public const string ModerationBlocked = "moderation_blocked";

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
}
