using Vidgate.Server.Billing;
using Vidgate.Server.Hosting;

namespace Vidgate.Server.Accounts;

/// <summary>Resolves <c>Authorization: Bearer</c> to a <see cref="Caller"/> for a route group; 401 otherwise.</summary>
internal static class CallerAuth
{
    private const string ItemKey = "vidgate.caller";

    public static TBuilder RequireCaller<TBuilder>(this TBuilder builder, bool admin = false) where TBuilder : IEndpointConventionBuilder
        => builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var (caller, error) = await ResolveAsync(http, "Missing or invalid API key. Send it as 'Authorization: Bearer <key>'.");
            if (error is not null)
            {
                return error.ToResult();
            }

            if (admin && !caller!.IsAdmin)
            {
                return new ApiError(403, "admin_required", "This route needs an admin key.").ToResult();
            }

            http.Items[ItemKey] = caller;
            return await next(context);
        });

    /// <summary>
    /// The caller of a request, or the error to answer: 429 while the client's IP is blocked for failed attempts, 401 for
    /// a missing, unknown or revoked key (<paramref name="missing"/> is its message) and for an expired one. Failures
    /// count towards the IP's limit.
    /// </summary>
    public static async Task<(Caller? Caller, ApiError? Error)> ResolveAsync(HttpContext http, string missing)
    {
        var limits = http.RequestServices.GetRequiredService<RequestLimits>();
        if (limits.AuthBlocked(http) is { } blocked)
        {
            return (null, blocked);
        }

        var caller = await AuthenticateAsync(http);
        if (caller is null)
        {
            limits.AuthFailed(http);
            return (null, ApiError.Unauthorized(missing));
        }

        if (caller.ExpiresAt is { } expires && expires <= http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow())
        {
            limits.AuthFailed(http);
            return (null, new ApiError(401, "api_key_expired", $"This API key expired at {expires:u}."));
        }

        return (caller, null);
    }

    /// <summary>The caller set by <see cref="RequireCaller{TBuilder}"/>.</summary>
    public static Caller Caller(this HttpContext http) => (Caller)http.Items[ItemKey]!;

    public static async Task<Caller?> AuthenticateAsync(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) || header.Length <= scheme.Length)
        {
            return null;
        }

        var secret = header[scheme.Length..].Trim();
        return secret.Length == 0 ? null : await http.RequestServices.GetRequiredService<ApiKeys>().AuthenticateAsync(secret, http.RequestAborted);
    }
}
