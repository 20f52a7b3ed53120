using System.Text;
using System.Text.RegularExpressions;

namespace Vidgate.Server.Providers.Http;

/// <summary>
/// The one place upstream text is made safe to keep: every provider passes anything an upstream wrote (error messages,
/// status words, codes, file names) through <see cref="Redact"/> before it can reach a task's error message or a log
/// line. Upstreams echo the key they refused ("Incorrect API key provided: sk-…") and proxies echo headers.
/// </summary>
internal static partial class KeyRedactor
{
    public const string Mark = "[redacted]";

    /// <summary>
    /// Shorter keys are not cut out: replacing every "abc" in a message would garble it and protect nothing (such a key
    /// is guessed faster than read from a log).
    /// </summary>
    public const int MinKeyLength = 4;

    /// <summary>
    /// <paramref name="text"/> with every occurrence of every key in <paramref name="keys"/> replaced by
    /// <see cref="Mark"/>, then with obvious credentials (<c>Bearer …</c>, <c>sk-…</c>-shaped keys, JWTs) replaced too.
    /// Keys are matched on the original text all at once, so a key inside another key, or two keys that overlap, leave
    /// no piece of either behind.
    /// </summary>
    public static string Redact(string? text, IEnumerable<string?> keys)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        bool[]? covered = null;
        foreach (var key in keys)
        {
            if (key is null || key.Length < MinKeyLength)
            {
                continue;
            }

            for (var at = text.IndexOf(key, StringComparison.Ordinal); at >= 0; at = text.IndexOf(key, at + 1, StringComparison.Ordinal))
            {
                covered ??= new bool[text.Length];
                Array.Fill(covered, true, at, key.Length);
            }
        }

        if (covered is not null)
        {
            var result = new StringBuilder(text.Length);
            for (var i = 0; i < text.Length; i++)
            {
                if (!covered[i])
                {
                    result.Append(text[i]);
                }
                else if (i == 0 || !covered[i - 1])
                {
                    result.Append(Mark);
                }
            }

            text = result.ToString();
        }

        text = SchemeToken().Replace(text, m => m.Groups[1].Value + " " + Mark);
        return KeyShaped().Replace(text, Mark);
    }

    /// <summary>Redacted first, then shortened: cutting first could split a key and leave a piece no rule recognises.</summary>
    public static string Quote(string? text, IEnumerable<string?> keys, int maxLength)
    {
        var safe = Redact(text?.Trim(), keys);
        return safe.Length <= maxLength ? safe : string.Concat(safe.AsSpan(0, maxLength), "…");
    }

    // "Bearer <token>" / "Basic <credentials>" / "Token <key>" as headers are echoed by proxies and gateways (a sentence's
    // final full stop is not part of the token; a digit in it tells a token from "Token validation failed").
    [GeneratedRegex(@"\b(Bearer|Basic|Token)\s+(?=\S*[0-9])[A-Za-z0-9\-._~+/*]{7,}[A-Za-z0-9\-_~+/*]=*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SchemeToken();

    // Vendor key shapes (OpenAI/DashScope sk-, xAI xai-, Runway key_, Luma luma-, Replicate r8_), masked echoes such as
    // "sk-abc1****wxyz" included, and JWTs (Kling's tokens, OAuth access tokens).
    [GeneratedRegex(@"\b(?:(?:sk|xai|luma|r8)[-_][A-Za-z0-9*_\-]{16,}|key_[0-9a-f]{32,}|eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*)", RegexOptions.CultureInvariant)]
    private static partial Regex KeyShaped();
}
