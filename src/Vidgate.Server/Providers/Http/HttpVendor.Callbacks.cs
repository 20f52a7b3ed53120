using System.Text.Json;

namespace Vidgate.Server.Providers.Http;

/// <summary>
/// Upstream callbacks, the same for every vendor that has them: the submit carries our URL where <see cref="Callbacks"/>
/// says, and a callback is checked (signature, MiniMax's challenge) but never read for a job's state.
/// </summary>
internal abstract partial class HttpVendor : IUpstreamCallbacks
{
    /// <summary>A signed callback older (or newer) than this is refused: a captured one cannot be replayed later.</summary>
    public static readonly TimeSpan SignatureTolerance = TimeSpan.FromMinutes(5);

    /// <summary>Where the vendor's submit takes a callback URL, or null where it has none (the default).</summary>
    protected virtual CallbackPlace? Callbacks => null;

    public bool TakesCallbacks => Callbacks is not null;

    public bool CallbacksOn => Callbacks is not null && Option(Settings, "callbacks") is { ValueKind: JsonValueKind.True };

    public string? CallbackProblem
    {
        get
        {
            var on = Option(Settings, "callbacks") is { ValueKind: JsonValueKind.True };
            var secret = WebhookSecret;
            if (on && Callbacks is null)
            {
                return $"the {Settings.Type} type has no upstream callbacks; remove options.callbacks (polling tracks its jobs)";
            }

            if (secret is not null && Callbacks?.Signing != CallbackSigning.StandardWebhooks)
            {
                return $"options.webhook_secret is only for a type whose callbacks are signed with a shared secret (replicate), not {Settings.Type}";
            }

            return on && Callbacks!.Signing == CallbackSigning.StandardWebhooks && CallbackPlace.SecretKey(secret) is null
                ? "options.webhook_secret must be the account's signing secret (\"whsec_…\", from GET /v1/webhooks/default/secret) when callbacks are on"
                : null;
        }
    }

    /// <summary>The kit checks what it can offline (<see cref="CallbackSigning.StandardWebhooks"/>); a vendor whose keys come from elsewhere (fal) overrides this.</summary>
    public virtual ValueTask<string?> VerifyAsync(Func<string, string?> header, ReadOnlyMemory<byte> body, DateTimeOffset now, CancellationToken ct)
        => ValueTask.FromResult(Callbacks is { } place ? place.Verify(WebhookSecret, header, body.Span, now, SignatureTolerance) : "this type has no callbacks");

    public string? Challenge(ReadOnlySpan<byte> body) => Callbacks?.Challenge(body);

    private string? WebhookSecret => Option(Settings, "webhook_secret") is { ValueKind: JsonValueKind.String } s ? s.GetString() : null;

    private static JsonElement? Option(UpstreamSettings settings, string name)
        => settings.Options is { ValueKind: JsonValueKind.Object } options && options.TryGetProperty(name, out var value) ? value : null;
}
