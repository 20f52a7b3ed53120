using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Vidgate.Server.Accounts;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Videos;

/// <summary>
/// Signed links to our own <c>/content</c> route, so <c>video_url</c> works without the Authorization header
/// (browsers, <c>&lt;video src&gt;</c>, SDKs that fetch plainly). The signature is an HMAC-SHA256 over the task id and
/// the expiry, with a per-installation secret kept in the database; a link expires with the content itself.
/// </summary>
internal sealed class ContentLinks(IKeyStore keys, IOptions<VidgateOptions> options, TimeProvider clock)
{
    private byte[]? _secret;

    public async Task InitializeAsync(CancellationToken ct)
    {
        var value = await keys.GetOrCreateSettingAsync("content_link_secret", () => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), ct);
        _secret = Convert.FromBase64String(value);
    }

    /// <summary>The link for a completed task whose content is still stored, else "".</summary>
    public string For(VideoTask task, HttpRequest request)
    {
        if (task.Status != VideoStatus.Completed || task.ContentDeletedAt is not null)
        {
            return "";
        }

        // Stable per task (no per-poll churn): valid until the content expires, or for a day if retention is off.
        var expires = (task.ExpiresAt ?? clock.GetUtcNow().AddDays(1)).ToUnixTimeSeconds();
        var baseUrl = string.IsNullOrEmpty(options.Value.PublicBaseUrl)
            ? $"{request.Scheme}://{request.Host}{request.PathBase}"
            : options.Value.PublicBaseUrl.TrimEnd('/');
        return $"{baseUrl}/v1/videos/{task.Id}/content?expires={expires}&signature={Sign(task.Id, expires)}";
    }

    public bool IsValid(string taskId, string? expires, string? signature)
    {
        if (!long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var until)
            || until < clock.GetUtcNow().ToUnixTimeSeconds()
            || string.IsNullOrEmpty(signature))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(taskId, until)), Encoding.ASCII.GetBytes(signature));
    }

    private string Sign(string taskId, long expires)
    {
        var secret = _secret ?? throw new InvalidOperationException("ContentLinks used before InitializeAsync.");
        var mac = HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes($"{taskId}\n{expires}"));
        return Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
