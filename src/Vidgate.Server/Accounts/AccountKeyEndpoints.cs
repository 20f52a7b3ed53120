using Microsoft.Extensions.Options;
using Vidgate.Server.Dashboard;
using Vidgate.Server.Models;

namespace Vidgate.Server.Accounts;

/// <summary>
/// <c>/v1/account/keys</c>: a user's own keys, under their own key or dashboard session, when the operator allows it
/// (<c>Vidgate:Dashboard:AllowUserKeys</c>). A new key is always on the caller's account, never admin, and never has more
/// rights than the key that made it: its models, IP fence, rate limit and expiry are the caller key's or narrower. Another
/// account's key is a 404, as if it did not exist.
/// </summary>
internal static class AccountKeyEndpoints
{
    private const string Tag = "Account keys";

    /// <summary>Enough for a key per app, environment and teammate; a runaway script cannot fill the table.</summary>
    public const int MaxActiveKeys = 50;

    public static IEndpointRouteBuilder MapAccountKeys(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/account/keys").RequireCaller();
        group.MapGet("", List)
            .WithVidgateDocs(Tag, "List your account's API keys (never the keys themselves)", DocAuth.Key, 403)
            .Produces<AccountKeyList>();
        group.MapPost("", Create)
            .WithVidgateDocs(Tag, "Create an API key for your account (shown once; never more rights than your own key)", DocAuth.Key, 400, 403, 409)
            .Takes(RouteDocs.Json, null, typeof(CreateAccountKeyRequest)).Produces<AccountKeyCreated>();
        group.MapDelete("/{id}", Revoke)
            .WithVidgateDocs(Tag, "Revoke one of your account's API keys (the key you call with needs ?confirm=true)", DocAuth.Key, 403, 404, 409)
            .Param("confirm", "true to revoke the very key (or dashboard session's key) this request is made with.")
            .Produces<AccountKeyInfo>();
        return routes;
    }

    private static ApiError? Refused(Caller caller, IOptions<DashboardOptions> options)
        => caller.IsAdmin || options.Value.AllowUserKeys
            ? null
            : new ApiError(403, "user_keys_disabled",
                "The operator has turned off self-service keys on this server (Vidgate:Dashboard:AllowUserKeys); ask them to create or revoke a key for you.");

    private static async Task<IResult> List(HttpContext http, IKeyStore store, IOptions<DashboardOptions> options, CancellationToken ct)
    {
        var caller = http.Caller();
        if (Refused(caller, options) is { } refused)
        {
            return refused.ToResult();
        }

        var keys = await store.ListForAccountAsync(caller.AccountId, ct);
        return TypedResults.Json(new AccountKeyList("list", [.. keys.Select(k => Info(k, caller))]), AccountKeyJson.Default.AccountKeyList);
    }

    private static async Task<IResult> Create(
        HttpContext http, IKeyStore store, ApiKeys keys, ModelCatalog catalog, IOptions<DashboardOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var caller = http.Caller();
        if (Refused(caller, options) is { } refused)
        {
            return refused.ToResult();
        }

        var (body, error) = await JsonBody.ReadAsync(http.Request, AccountKeyJson.Default.CreateAccountKeyRequest, ct);
        if (error is not null)
        {
            return error.ToResult();
        }

        var name = body!.Name?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            return ApiError.Invalid("name", "Give the key a name: {\"name\": \"...\"}.", "missing_field").ToResult();
        }

        if (name.Length > 200)
        {
            return ApiError.Invalid("name", "The name is longer than 200 characters.").ToResult();
        }

        var account = await store.ListForAccountAsync(caller.AccountId, ct);
        if (account.FirstOrDefault(k => k.Key.Id == caller.KeyId)?.Key is not { } own)
        {
            // The key was revoked between authentication (cached for seconds) and now.
            return ApiError.Unauthorized("This API key was revoked.").ToResult();
        }

        if (account.Count(k => k.Key.RevokedAt is null) >= MaxActiveKeys)
        {
            return ApiError.Conflict("too_many_keys", $"Your account has {MaxActiveKeys} active keys, the most it may have; revoke one first.").ToResult();
        }

        var (spec, narrowError) = Narrow(body, own, caller, catalog, clock.GetUtcNow());
        if (narrowError is not null)
        {
            return narrowError.ToResult();
        }

        var (record, secret) = await keys.CreateAsync(spec! with { Name = name }, secret: null, ct);
        return TypedResults.Json(
            new AccountKeyCreated(record!.Id, "api_key", record.Name, record.Prefix, record.CreatedAt.ToUnixTimeSeconds(), record.ExpiresAt?.ToUnixTimeSeconds(),
                record.RequestsPerMinute, record.AllowedModels, record.AllowedIps, secret),
            AccountKeyJson.Default.AccountKeyCreated);
    }

    /// <summary>
    /// The new key: on the caller's account, not admin, each limit the caller key's own when not asked for, and refused
    /// (403 <c>exceeds_own_key</c>, naming the field) when asked wider than the caller key's.
    /// </summary>
    private static (NewKey? Spec, ApiError? Error) Narrow(CreateAccountKeyRequest body, ApiKeyRecord own, Caller caller, ModelCatalog catalog, DateTimeOffset now)
    {
        static ApiError Wider(string param, string message) => new(403, "exceeds_own_key", message, param);

        if (body.RequestsPerMinute is <= 0)
        {
            return (null, ApiError.Invalid("requests_per_minute", "requests_per_minute must be a positive whole number, or absent for your key's."));
        }

        if (body.RequestsPerMinute is { } rpm && own.RequestsPerMinute is { } ownRpm && rpm > ownRpm)
        {
            return (null, Wider("requests_per_minute", $"Your key may make {ownRpm} requests per minute; a key it creates may not make more."));
        }

        if (body.ExpiresAt is < 0 or > 253402300799)
        {
            return (null, ApiError.Invalid("expires_at", "expires_at is a Unix time in seconds."));
        }

        var expires = body.ExpiresAt is { } s ? DateTimeOffset.FromUnixTimeSeconds(s) : (DateTimeOffset?)null;
        if (expires is { } e && e <= now)
        {
            return (null, ApiError.Invalid("expires_at", "expires_at is in the past."));
        }

        if (own.ExpiresAt is { } ownExpiry && (expires is null || expires > ownExpiry))
        {
            if (expires is not null)
            {
                return (null, Wider("expires_at", $"Your key expires at {ownExpiry:u}; a key it creates may not outlive it."));
            }

            expires = ownExpiry;
        }

        var models = own.AllowedModels;
        if (body.AllowedModels is { Count: > 0 } asked)
        {
            if (asked.Count > KeyAccess.MaxEntries || asked.Any(string.IsNullOrWhiteSpace))
            {
                return (null, ApiError.Invalid("allowed_models", $"allowed_models is a list of up to {KeyAccess.MaxEntries} model names, or absent for your key's."));
            }

            if (asked.FirstOrDefault(m => catalog.Find(m) is null) is { } unknown)
            {
                return (null, ApiError.Invalid("allowed_models", $"'{unknown}' is not a model of this server (GET /v1/models).", "unknown_model"));
            }

            if (caller.Plan.AllowedModels is { } mine && asked.FirstOrDefault(m => !mine.Contains(m)) is { } outside)
            {
                return (null, Wider("allowed_models", $"Your key may not use '{outside}', so a key it creates may not either."));
            }

            models = [.. asked.Distinct(StringComparer.Ordinal)];
        }

        var ips = own.AllowedIps;
        if (body.AllowedIps is { Count: > 0 })
        {
            var (networks, ipError) = KeyAccess.ParseIps(body.AllowedIps);
            if (ipError is not null)
            {
                return (null, ipError);
            }

            if (own.AllowedIps is { } fence && networks!.FirstOrDefault(n => !KeyAccess.Within(n, fence)) is { } outside)
            {
                return (null, Wider("allowed_ips", $"{outside} is outside your key's networks ({string.Join(", ", fence)}); a key it creates may only narrow them."));
            }

            ips = networks;
        }

        return (new NewKey("", IsAdmin: false, caller.AccountId, body.RequestsPerMinute ?? own.RequestsPerMinute, expires)
        {
            AllowedModels = models,
            AllowedIps = ips,
        }, null);
    }

    private static async Task<IResult> Revoke(string id, string? confirm, HttpContext http, IKeyStore store, ApiKeys keys, IOptions<DashboardOptions> options, CancellationToken ct)
    {
        var caller = http.Caller();
        if (Refused(caller, options) is { } refused)
        {
            return refused.ToResult();
        }

        if (confirm is not (null or "true" or "false"))
        {
            return ApiError.Invalid("confirm", "'confirm' is true or false.").ToResult();
        }

        var target = (await store.ListForAccountAsync(caller.AccountId, ct)).FirstOrDefault(k => k.Key.Id == id);
        if (target is null)
        {
            // Another account's key answers exactly like a key that does not exist.
            return ApiError.NotFound($"No API key with id '{id}' on your account.", "key_not_found").ToResult();
        }

        if (id == caller.KeyId && target.Key.RevokedAt is null && confirm != "true")
        {
            return ApiError.Conflict("confirm_required",
                "This is the key you are using right now (or your dashboard session's key): revoking it signs you out. Send ?confirm=true to revoke it anyway.").ToResult();
        }

        var record = await keys.RevokeAsync(id, ct);
        return TypedResults.Json(Info(new AccountKey(record!, target.LastUsedAt), caller), AccountKeyJson.Default.AccountKeyInfo);
    }

    private static AccountKeyInfo Info(AccountKey k, Caller caller) => new(
        k.Key.Id, "api_key", k.Key.Name, k.Key.Prefix, k.Key.CreatedAt.ToUnixTimeSeconds(), k.Key.RevokedAt?.ToUnixTimeSeconds(),
        k.LastUsedAt?.ToUnixTimeSeconds(), k.Key.ExpiresAt?.ToUnixTimeSeconds(), k.Key.RequestsPerMinute, k.Key.AllowedModels, k.Key.AllowedIps,
        k.Key.Id == caller.KeyId);
}
