using System.Text.Json;
using Vidgate.Contracts;
using Vidgate.Server.Accounts;
using Vidgate.Server.Models;

namespace Vidgate.Server.Admin;

/// <summary>
/// <c>/admin/keys</c>: create (secret shown once; a new account unless <c>account_id</c> names one), list (never
/// secrets), set a key's own limits and expiry, revoke (401 at once).
/// </summary>
internal static class AdminKeyEndpoints
{
    public static RouteGroupBuilder MapAdminKeys(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/admin/keys").RequireCaller(admin: true);
        group.MapPost("", Create)
            .WithVidgateDocs("Admin: keys", "Create an API key (the key is shown once)", DocAuth.AdminKey, 400, 404)
            .Takes(RouteDocs.Json, null, typeof(CreateKeyRequest)).Produces<ApiKeyCreated>();
        group.MapGet("", List)
            .WithVidgateDocs("Admin: keys", "List the API keys (never the keys themselves)", DocAuth.AdminKey).Produces<ListOf<ApiKeyInfo>>();
        group.MapPatch("/{id}", Update)
            .WithVidgateDocs("Admin: keys", "Change a key's rate limit, expiry, models or IP fence", DocAuth.AdminKey, 400, 404)
            .Takes(RouteDocs.Json, null, typeof(UpdateKeyRequest)).Produces<ApiKeyInfo>();
        group.MapDelete("/{id}", Revoke).WithVidgateDocs("Admin: keys", "Revoke an API key", DocAuth.AdminKey, 404).Produces<ApiKeyInfo>();
        return group;
    }

    private static async Task<IResult> Create(HttpRequest request, ApiKeys keys, ModelCatalog catalog, CancellationToken ct)
    {
        var (body, error) = request.ContentLength is 0 or null && !request.Headers.ContainsKey("Transfer-Encoding")
            ? (new CreateKeyRequest(null), null)
            : await AdminJson.ReadAsync(request, ContractsJson.Wire.CreateKeyRequest, ct);
        if (error is not null)
        {
            return error.ToResult();
        }

        var name = body?.Name?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            return ApiError.Invalid("name", "Give the key a name: {\"name\": \"...\"}.", "missing_field").ToResult();
        }

        if (name.Length > 200)
        {
            return ApiError.Invalid("name", "The name is longer than 200 characters.").ToResult();
        }

        if (LimitError(body!.RequestsPerMinute, body.ExpiresAt) is { } limitError)
        {
            return limitError.ToResult();
        }

        var (models, ips, accessError) = Access(body.AllowedModels, body.AllowedIps, catalog);
        if (accessError is not null)
        {
            return accessError.ToResult();
        }

        var spec = new NewKey(name, IsAdmin: false, string.IsNullOrEmpty(body.AccountId) ? null : body.AccountId, body.RequestsPerMinute, Time(body.ExpiresAt))
        {
            AllowedModels = models,
            AllowedIps = ips,
        };
        var (record, secret) = await keys.CreateAsync(spec, secret: null, ct);
        if (record is null)
        {
            return ApiError.Invalid("account_id", $"No account with id '{body.AccountId}'.", "account_not_found").ToResult();
        }

        return TypedResults.Json(
            new ApiKeyCreated(record.Id, "api_key", record.Name, record.AccountId, record.IsAdmin, record.Prefix, record.CreatedAt.ToUnixTimeSeconds(), secret),
            ContractsJson.Wire.ApiKeyCreated);
    }

    private static async Task<IResult> List(IKeyStore store, CancellationToken ct)
    {
        var keys = await store.ListAsync(ct);
        return TypedResults.Json(new ListOf<ApiKeyInfo>("list", [.. keys.Select(Info)]), ContractsJson.Wire.ListOfApiKeyInfo);
    }

    private static async Task<IResult> Update(string id, HttpRequest request, IKeyStore store, ApiKeys keys, ModelCatalog catalog, CancellationToken ct)
    {
        var (document, error) = await JsonBody.ReadAsync(request, ct);
        using (document)
        {
            var (body, bindError) = error is null ? Bind(document!) : (null, error);
            if ((bindError ?? LimitError(body!.RequestsPerMinute, body.ExpiresAt)) is { } invalid)
            {
                return invalid.ToResult();
            }

            var (models, ips, accessError) = Access(body!.AllowedModels, body.AllowedIps, catalog);
            if (accessError is not null)
            {
                return accessError.ToResult();
            }

            // The lists change only when the body names them: a PATCH of the rate limit never drops an IP fence.
            var patch = new KeyPatch(body.RequestsPerMinute, Time(body.ExpiresAt))
            {
                AllowedModels = document!.RootElement.TryGetProperty("allowed_models", out _) ? new KeyList(models) : null,
                AllowedIps = document.RootElement.TryGetProperty("allowed_ips", out _) ? new KeyList(ips) : null,
            };
            var record = await store.UpdateAsync(id, patch, ct);
            keys.Forget();
            return record is null
                ? ApiError.NotFound($"No API key with id '{id}'.", "key_not_found").ToResult()
                : TypedResults.Json(Info(record), ContractsJson.Wire.ApiKeyInfo);
        }
    }

    private static (UpdateKeyRequest? Body, ApiError? Error) Bind(JsonDocument document)
    {
        try
        {
            return document.RootElement.ValueKind == JsonValueKind.Object && document.Deserialize(ContractsJson.Wire.UpdateKeyRequest) is { } body
                ? (body, null)
                : (null, ApiError.Invalid("body", "Send a JSON object.", "invalid_json"));
        }
        catch (JsonException ex)
        {
            return (null, ApiError.Invalid("body", "The body is not valid JSON for this route: " + ex.Message, "invalid_json"));
        }
    }

    /// <summary>A key's own model list (every name in the catalog) and IP fence (CIDR blocks), each null for none.</summary>
    private static (IReadOnlyList<string>? Models, IReadOnlyList<string>? Ips, ApiError? Error) Access(
        IReadOnlyList<string>? models, IReadOnlyList<string>? ips, ModelCatalog catalog)
    {
        if (models is { Count: > 0 })
        {
            if (models.Count > KeyAccess.MaxEntries || models.Any(string.IsNullOrWhiteSpace))
            {
                return (null, null, ApiError.Invalid("allowed_models", $"allowed_models is a list of up to {KeyAccess.MaxEntries} model names (no nulls or empty names), or null/[] for the tier's."));
            }

            if (models.FirstOrDefault(m => catalog.Find(m) is null) is { } unknown)
            {
                return (null, null, ApiError.Invalid("allowed_models", $"'{unknown}' is not a model of the catalog (GET /admin/models).", "unknown_model"));
            }
        }

        var (networks, ipError) = KeyAccess.ParseIps(ips);
        return ipError is not null ? (null, null, ipError) : (models is { Count: > 0 } ? [.. models.Distinct(StringComparer.Ordinal)] : null, networks, null);
    }

    private static ApiError? LimitError(int? requestsPerMinute, long? expiresAt)
        => requestsPerMinute is <= 0 ? ApiError.Invalid("requests_per_minute", "requests_per_minute must be a positive whole number, or absent for the tier's.")
            : expiresAt is < 0 or > 253402300799 ? ApiError.Invalid("expires_at", "expires_at is a Unix time in seconds.")
            : null;

    private static DateTimeOffset? Time(long? unixSeconds) => unixSeconds is { } s ? DateTimeOffset.FromUnixTimeSeconds(s) : null;

    private static async Task<IResult> Revoke(string id, ApiKeys keys, CancellationToken ct)
    {
        var record = await keys.RevokeAsync(id, ct);
        return record is null
            ? ApiError.NotFound($"No API key with id '{id}'.", "key_not_found").ToResult()
            : TypedResults.Json(Info(record), ContractsJson.Wire.ApiKeyInfo);
    }

    private static ApiKeyInfo Info(ApiKeyRecord r) => new(
        r.Id, "api_key", r.Name, r.AccountId, r.IsAdmin, r.Prefix, r.CreatedAt.ToUnixTimeSeconds(), r.RevokedAt?.ToUnixTimeSeconds(),
        r.RequestsPerMinute, r.ExpiresAt?.ToUnixTimeSeconds(), r.AllowedModels, r.AllowedIps);
}
