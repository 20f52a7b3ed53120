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
            var limits = http.RequestServices.GetRequiredService<RequestLimits>();
            if (limits.AuthBlocked(http) is { } blocked)
            {
                return blocked.ToResult();
            }

            var caller = await AuthenticateAsync(http);
            if (caller is null)
            {
                limits.AuthFailed(http);
                return ApiError.Unauthorized("Missing or invalid API key. Send it as 'Authorization: Bearer <key>'.").ToResult();
            }

            if (caller.ExpiresAt is { } expires && expires <= http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow())
            {
                limits.AuthFailed(http);
                return new ApiError(401, "api_key_expired", $"This API key expired at {expires:u}.").ToResult();
            }

            if (admin && !caller.IsAdmin)
            {
                return new ApiError(403, "admin_required", "This route needs an admin key.").ToResult();
            }

            http.Items[ItemKey] = caller;
            return await next(context);
        });

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
