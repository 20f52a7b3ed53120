using System.Text.Json;
using System.Text.RegularExpressions;
using Vidgate.Server.Providers.Http;

namespace Vidgate.Server.Providers.Vertex;

/// <summary>
/// Builds <c>vertex</c> instances: Veo on Vertex AI (base URL <c>https://{location}-aiplatform.googleapis.com</c>, or
/// <c>https://aiplatform.googleapis.com</c> for <c>global</c>); each key is a service-account JSON key, as a string.
/// <c>options.location</c> defaults to the base URL's region (else <c>us-central1</c>), <c>options.project_id</c> to each key's.
/// </summary>
internal sealed partial class VertexProviderType(IHttpClientFactory clients, IGuardedFetcher fetcher, TimeProvider clock, ILoggerFactory loggers)
    : HttpVendorType<VertexProvider>(clients, fetcher, clock, loggers)
{
    public override string Type => "vertex";

    protected override string KeysNeeded => "a vertex instance needs at least one service-account JSON key (the whole key file, as a string)";

    protected override (string Path, string Refusal)? Root => ("/v1", "base_url is the root without /v1 (e.g. https://us-central1-aiplatform.googleapis.com); the adapter adds /v1/projects/...");

    protected override IReadOnlyCollection<string> Reserved => VertexProvider.Reserved;

    protected override IReadOnlyCollection<string> Own => VertexProvider.Own;

    /// <summary>Any key gets past the shared check: <see cref="CheckMore"/> says which one is not a service-account key, and why.</summary>
    protected override bool Usable(string apiKey) => true;

    protected override string? CheckMore(UpstreamSettings settings)
    {
        if (Place(settings, out var error) is not { } place)
        {
            return error;
        }

        for (var i = 0; i < settings.ApiKeys.Count; i++)
        {
            // The key's contents are never quoted back: only which one, and what it lacks.
            if (VertexToken.Parse(settings.ApiKeys[i]) is not { } key)
            {
                return $"api_keys[{i}] is not a service-account JSON key with client_email, private_key and token_uri";
            }

            if (!VertexToken.CanSign(key))
            {
                return $"api_keys[{i}]: private_key is not an RSA private key in PEM";
            }

            if (place.ProjectId is null && string.IsNullOrWhiteSpace(key.ProjectId))
            {
                return $"api_keys[{i}] has no project_id: set options.project_id";
            }
        }

        return null;
    }

    protected override VertexProvider Build(UpstreamSettings settings, VendorOptions options, VendorServices services)
        => new(settings, options, Place(settings, out var error) ?? throw new ArgumentException(error, nameof(settings)), services);

    /// <summary>
    /// The project and location: a location that contradicts a regional host (<c>europe-west4</c> on
    /// <c>us-central1-aiplatform…</c>) is refused, since Vertex serves a region's models on its own host only.
    /// </summary>
    private static VertexPlace? Place(UpstreamSettings settings, out string? error)
    {
        error = null;
        var host = settings.BaseUrl.Host;
        var regional = RegionalHost().Match(host);
        var hostLocation = regional.Success ? regional.Groups[1].Value : host.Equals("aiplatform.googleapis.com", StringComparison.OrdinalIgnoreCase) ? "global" : null;
        string? project = null, location = null;
        if (settings.Options is { ValueKind: JsonValueKind.Object } root)
        {
            if (root.TryGetProperty("project_id", out var p))
            {
                project = p.ValueKind == JsonValueKind.String && p.GetString() is { Length: > 0 and <= 100 } s && ProjectOrLocation().IsMatch(s) ? s : null;
                if (project is null)
                {
                    error = "options.project_id must be a Google Cloud project id (lower-case letters, digits, hyphens)";
                    return null;
                }
            }

            if (root.TryGetProperty("location", out var l))
            {
                location = l.ValueKind == JsonValueKind.String && l.GetString() is { Length: > 0 and <= 50 } s && ProjectOrLocation().IsMatch(s) ? s : null;
                if (location is null)
                {
                    error = "options.location must be a Vertex AI location such as us-central1 or global";
                    return null;
                }
            }
        }

        if (location is not null && hostLocation is not null && location != hostLocation)
        {
            error = $"options.location {location} does not match base_url's region {hostLocation}: use https://{(location == "global" ? "" : location + "-")}aiplatform.googleapis.com";
            return null;
        }

        return new VertexPlace(project, location ?? hostLocation ?? "us-central1");
    }

    [GeneratedRegex(@"^([a-z0-9-]+)-aiplatform\.googleapis\.com$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex RegionalHost();

    [GeneratedRegex("^[a-z0-9][a-z0-9-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex ProjectOrLocation();
}
