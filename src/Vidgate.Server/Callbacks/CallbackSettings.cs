using System.Text.Json;
using Vidgate.Server.Providers;

namespace Vidgate.Server.Callbacks;

/// <summary>The admin API's check of an instance's callback options, made when it is saved (a 400, never a surprise later).</summary>
internal static class CallbackSettings
{
    public const string PublicBaseUrlSetting = "Vidgate:PublicBaseUrl";

    /// <summary>Null when <paramref name="settings"/> may be saved; otherwise the 400 naming what is wrong.</summary>
    public static ApiError? Problem(UpstreamSettings settings, IVideoProviderType type, string? publicBaseUrl)
    {
        var on = settings.Options is { ValueKind: JsonValueKind.Object } options
                 && options.TryGetProperty("callbacks", out var callbacks) && callbacks.ValueKind == JsonValueKind.True;
        var named = settings.Options is { ValueKind: JsonValueKind.Object } o && (o.TryGetProperty("callbacks", out _) || o.TryGetProperty("webhook_secret", out _));
        if (!named)
        {
            return null;
        }

        // The type's own instance says where (and whether) its vendor takes a callback URL.
        var built = type.Create(settings);
        try
        {
            if (built is not IUpstreamCallbacks kit)
            {
                return on ? Invalid($"the {settings.Type} type has no upstream callbacks; remove options.callbacks (polling tracks its jobs)") : null;
            }

            if (kit.CallbackProblem is { } problem)
            {
                return Invalid(problem);
            }
        }
        finally
        {
            (built as IDisposable)?.Dispose();
        }

        return on && string.IsNullOrWhiteSpace(publicBaseUrl)
            ? Invalid($"options.callbacks needs {PublicBaseUrlSetting} (VIDGATE_PUBLIC_URL): the address upstreams call back at, e.g. https://vidgate.example.com")
            : null;
    }

    private static ApiError Invalid(string message) => ApiError.Invalid("options", message, "invalid_provider_settings");
}
