using System.Text.Json;
using Vidgate.Contracts;
using Vidgate.Server.Accounts;
using Vidgate.Server.Hosting;

namespace Vidgate.Server.Admin;

/// <summary><c>/admin/keys</c>: create (secret shown once), list (never secrets), revoke (401 at once).</summary>
internal static class AdminKeyEndpoints
{
    public static RouteGroupBuilder MapAdminKeys(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/admin/keys").RequireCaller(admin: true);
        group.MapPost("", Create);
        group.MapGet("", List);
        group.MapDelete("/{id}", Revoke);
        return group;
    }

    private static async Task<IResult> Create(HttpRequest request, ApiKeys keys, CancellationToken ct)
    {
        CreateKeyRequest? body;
        try
        {
            body = request.ContentLength is 0 or null && !request.Headers.ContainsKey("Transfer-Encoding")
                ? new CreateKeyRequest(null)
                : await JsonSerializer.DeserializeAsync(request.Body, ContractsJson.Wire.CreateKeyRequest, ct);
        }
        catch (JsonException ex)
        {
            return ApiError.Invalid("body", "The body is not valid JSON: " + ex.Message, "invalid_json").ToResult();
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

        var (record, secret) = await keys.CreateAsync(name, isAdmin: false, secret: null, ct);
        return TypedResults.Json(
            new ApiKeyCreated(record.Id, "api_key", record.Name, record.AccountId, record.IsAdmin, record.Prefix, record.CreatedAt.ToUnixTimeSeconds(), secret),
            ContractsJson.Wire.ApiKeyCreated);
    }

    private static async Task<IResult> List(IKeyStore store, CancellationToken ct)
    {
        var keys = await store.ListAsync(ct);
        return TypedResults.Json(new ListOf<ApiKeyInfo>("list", [.. keys.Select(Info)]), ContractsJson.Wire.ListOfApiKeyInfo);
    }

    private static async Task<IResult> Revoke(string id, ApiKeys keys, CancellationToken ct)
    {
        var record = await keys.RevokeAsync(id, ct);
        return record is null
            ? ApiError.NotFound($"No API key with id '{id}'.", "key_not_found").ToResult()
            : TypedResults.Json(Info(record), ContractsJson.Wire.ApiKeyInfo);
    }

    private static ApiKeyInfo Info(ApiKeyRecord r) => new(
        r.Id, "api_key", r.Name, r.AccountId, r.IsAdmin, r.Prefix, r.CreatedAt.ToUnixTimeSeconds(), r.RevokedAt?.ToUnixTimeSeconds());
}
