using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Vidgate.Server.Accounts;

namespace Vidgate.Server.Providers.Media;

/// <summary>
/// Signed, short-lived links to one of a task's stored images under <c>Vidgate:PublicBaseUrl</c>, for upstreams that
/// take images only as URLs they download (Luma). The token names the task, the image's index and the expiry, signed
/// with HMAC-SHA256 under a per-installation secret kept in the database (so any node can serve a link another node
/// made). A link lives <see cref="Lifetime"/>: long enough for the vendor to fetch the frame, too short to become a
/// public mirror of a user's upload.
/// </summary>
internal sealed class UpstreamImageLinks(IOptions<VidgateOptions> options, TimeProvider clock)
{
    public const string Setting = "Vidgate:PublicBaseUrl";

    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    private byte[]? _secret;

    /// <summary>Whether links can be made: the server knows the public address a vendor can reach it at.</summary>
    public bool Configured => !string.IsNullOrWhiteSpace(options.Value.PublicBaseUrl);

    public async Task InitializeAsync(IKeyStore keys, CancellationToken ct)
    {
        var value = await keys.GetOrCreateSettingAsync("upstream_image_link_secret", () => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), ct);
        UseSecret(Convert.FromBase64String(value));
    }

    /// <summary>Sets the signing secret (the startup reads it from the database; tests pass their own).</summary>
    public void UseSecret(byte[] secret) => _secret = secret;

    /// <summary>The link to image <paramref name="index"/> of <paramref name="taskId"/>; only when <see cref="Configured"/>.</summary>
    public Uri For(string taskId, int index)
    {
        var root = options.Value.PublicBaseUrl?.TrimEnd('/') is { Length: > 0 } r ? r : throw new InvalidOperationException($"{Setting} is not set.");
        var expires = (clock.GetUtcNow() + Lifetime).ToUnixTimeSeconds();
        var token = string.Create(CultureInfo.InvariantCulture, $"{taskId}.{index}.{expires}");
        return new Uri($"{root}/v1/upstream-images/{token}.{Sign(token)}");
    }

    /// <summary>The task and image a token names, or null when it is malformed, forged or expired.</summary>
    public (string TaskId, int Index)? Read(string token)
    {
        var parts = token.Split('.');
        if (parts is not [{ Length: > 0 and <= 100 } taskId, var index, var expires, var signature]
            || !int.TryParse(index, NumberStyles.None, CultureInfo.InvariantCulture, out var i)
            || !long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var until)
            || until < clock.GetUtcNow().ToUnixTimeSeconds())
        {
            return null;
        }

        var expected = Sign($"{taskId}.{index}.{expires}");
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature)) ? (taskId, i) : null;
    }

    private string Sign(string token)
    {
        var secret = _secret ?? throw new InvalidOperationException("UpstreamImageLinks used before its secret was loaded.");
        var mac = HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes("upstream-image\n" + token));
        return Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}

/// <summary>Loads (or makes) the link secret before the workers start submitting.</summary>
internal sealed class UpstreamImageLinksStartup(UpstreamImageLinks links, IKeyStore keys) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => links.InitializeAsync(keys, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
