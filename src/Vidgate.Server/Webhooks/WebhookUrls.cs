using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Vidgate.Server.Providers;
using Vidgate.Server.Providers.Fetch;

namespace Vidgate.Server.Webhooks;

/// <summary>
/// The SSRF guard's rules (<see cref="AddressPolicy"/> with the operator's <c>Vidgate:Fetch:Allow</c> list) for URLs we
/// POST to: checked when an endpoint or a callback_url is registered (a 400 naming why), and again on every connect of a
/// delivery (<see cref="ConnectAsync"/>: the socket goes to exactly the address that was checked, so DNS rebinding
/// cannot slip a private address in between).
/// </summary>
internal sealed class WebhookUrls(IOptions<FetchOptions> options, IHostResolver dns)
{
    public const int MaxLength = 2048;

    private readonly GuardedConnect _guard = new(options.Value, dns);

    /// <summary>The URL's problem as a 400 on <paramref name="param"/>, or null when deliveries may go there.</summary>
    public async Task<(Uri? Url, ApiError? Error)> CheckAsync(string? text, string param, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return (null, ApiError.Invalid(param, $"Give '{param}': the https URL that receives the events.", "missing_field"));
        }

        if (text.Length > MaxLength || !Uri.TryCreate(text.Trim(), UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            return (null, ApiError.Invalid(param, $"'{param}' must be an absolute http or https URL of at most {MaxLength} characters.", "invalid_url"));
        }

        if (!string.IsNullOrEmpty(url.UserInfo) || !string.IsNullOrEmpty(url.Fragment))
        {
            return (null, ApiError.Invalid(param, $"'{param}' must not carry credentials or a fragment; put a token in the path or query if you need one.", "invalid_url"));
        }

        try
        {
            await _guard.CheckHostAsync(url.IdnHost, ct);
            return (url, null);
        }
        catch (FetchRefusedException refused)
        {
            return (null, ApiError.Invalid(param, $"'{param}' cannot receive webhooks: {refused.Message}.", "url_not_allowed"));
        }
        catch (SocketException)
        {
            return (null, ApiError.Invalid(param, $"'{param}': the host '{url.Host}' does not resolve.", "url_not_allowed"));
        }
    }

    /// <summary>The connect step of every delivery: resolve once, check every address, connect to a checked one.</summary>
    public ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct) => _guard.ConnectAsync(context, ct);
}
