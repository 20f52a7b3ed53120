using System.Text.Json;
using System.Text.RegularExpressions;
using Vidgate.Contracts;
using Vidgate.Server.Providers;

namespace Vidgate.Server.Admin;

/// <summary>Admin bodies for providers and routes → validated settings, or the first problem as a 400.</summary>
internal static partial class ProviderRequests
{
    private const int MaxKeys = 32;

    /// <summary>
    /// Checks every field, then the type's own <see cref="IVideoProviderType.Validate"/>. <paramref name="id"/> and
    /// <paramref name="existingKeys"/> come from the URL and the store on PUT.
    /// </summary>
    public static (UpstreamSettings? Settings, ApiError? Error) ToSettings(
        ProviderRequest body, string? id, IReadOnlyList<string>? existingKeys, Func<string, IVideoProviderType?> types, IReadOnlyCollection<string> typeNames)
    {
        id ??= body.Id;
        if (string.IsNullOrEmpty(id) || !IdPattern().IsMatch(id))
        {
            return Bad("id", "Give the provider an id of 1–64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit, e.g. \"xai-main\".");
        }

        if (body.Id is not null && body.Id != id)
        {
            return Bad("id", "The id in the body differs from the one in the URL; an instance cannot be renamed.");
        }

        if (string.IsNullOrEmpty(body.Type) || types(body.Type) is not { } type)
        {
            return Bad("type", $"type must be one of: {string.Join(", ", typeNames.Order())}.", "unknown_provider_type");
        }

        if (!Uri.TryCreate(body.BaseUrl, UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("http" or "https")
            || !string.IsNullOrEmpty(baseUrl.Query) || !string.IsNullOrEmpty(baseUrl.Fragment) || !string.IsNullOrEmpty(baseUrl.UserInfo))
        {
            return Bad("base_url", "base_url must be an absolute http(s) URL without query, fragment or credentials, e.g. \"https://api.x.ai\".");
        }

        var keys = body.ApiKeys ?? existingKeys;
        // A key that is a JSON document (a Vertex service-account key) holds spaces by nature; any other space is a paste error.
        if (keys is null || keys.Count is 0 or > MaxKeys
            || keys.Any(k => string.IsNullOrWhiteSpace(k) || k.Length > 4096 || (k.Any(char.IsWhiteSpace) && !k.TrimStart().StartsWith('{'))))
        {
            return Bad("api_keys", $"api_keys must be 1–{MaxKeys} non-empty keys without spaces (a service-account JSON key may hold them).");
        }

        var timeout = body.RequestTimeoutSeconds ?? 60;
        if (!(timeout > 0 && timeout <= 600))
        {
            return Bad("request_timeout_seconds", "request_timeout_seconds must be more than 0 and at most 600.");
        }

        if (body.MaxConcurrentJobs is < 0)
        {
            return Bad("max_concurrent_jobs", "max_concurrent_jobs must be 0 (unlimited) or more.");
        }

        if (body.MaxRequestsPerSecond is { } rps && !(rps >= 0 && rps <= 100_000))
        {
            return Bad("max_requests_per_second", "max_requests_per_second must be 0 (unlimited) to 100000.");
        }

        var map = body.ModelMap ?? new Dictionary<string, string>();
        if (map.Any(m => string.IsNullOrWhiteSpace(m.Key) || string.IsNullOrWhiteSpace(m.Value) || m.Key.Length > 200 || m.Value.Length > 200))
        {
            return Bad("model_map", "model_map entries must map a model name to a non-empty upstream model name (each at most 200 characters).");
        }

        if (body.Options is { } options && options.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
        {
            return Bad("options", "options must be a JSON object (type-specific settings) or null.");
        }

        AmbiguousSubmit? onAmbiguous = body.OnAmbiguousSubmit switch
        {
            null or "failover" => AmbiguousSubmit.Failover,
            "fail" => AmbiguousSubmit.Fail,
            _ => null,
        };
        if (onAmbiguous is null)
        {
            return Bad("on_ambiguous_submit", "on_ambiguous_submit must be \"failover\" (try the next route; the upstream may bill twice) or \"fail\" (fail the task with a refund).");
        }

        var settings = new UpstreamSettings(
            id, body.Type, baseUrl, [.. keys], TimeSpan.FromSeconds(timeout), body.MaxConcurrentJobs ?? 0, body.MaxRequestsPerSecond ?? 0,
            new Dictionary<string, string>(map, StringComparer.Ordinal),
            body.Options is { ValueKind: JsonValueKind.Object } o ? o.Clone() : null,
            onAmbiguous.Value);
        return type.Validate(settings) is { } problem ? Bad("options", problem, "invalid_provider_settings") : (settings, null);
    }

    public static ProviderInfo Info(UpstreamSettings s, DateTimeOffset created, DateTimeOffset updated) => new(
        s.Id, "provider", s.Type, s.BaseUrl.ToString(), s.ApiKeys.Count, s.RequestTimeout.TotalSeconds, s.MaxConcurrentJobs, s.MaxRequestsPerSecond,
        s.ModelMap, s.Options, created.ToUnixTimeSeconds(), updated.ToUnixTimeSeconds(),
        s.OnAmbiguousSubmit == AmbiguousSubmit.Fail ? "fail" : "failover");

    private static (UpstreamSettings?, ApiError?) Bad(string param, string message, string code = "invalid_value") => (null, ApiError.Invalid(param, message, code));

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex IdPattern();
}
