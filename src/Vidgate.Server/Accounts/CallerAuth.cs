using Vidgate.Server.Billing;
using Vidgate.Server.Dashboard;

namespace Vidgate.Server.Accounts;

/// <summary>
/// Resolves <c>Authorization: Bearer</c> to a <see cref="Caller"/>. Its dependencies come by constructor: the route
/// filter (<see cref="CallerAuth.RequireCaller{TBuilder}"/>) takes it once per endpoint when the app is built, and the
/// two routes that authorise another way first (<c>/content</c>'s signed links, <c>/metrics</c>' token) take it as a
/// handler parameter -- nothing looks services up per request.
/// </summary>
internal sealed class CallerResolver(ApiKeys keys, RequestLimits limits, TimeProvider clock, DashboardSessions sessions)
{
    /// <summary>
    /// The caller of a request, or the error to answer: 429 while the client's IP is blocked for failed attempts, 401 for
    /// a missing, unknown or revoked key (<paramref name="missing"/> is its message) and for an expired one (these count
    /// towards the IP's limit); 403 <c>ip_not_allowed</c> for a key used from outside its <c>allowed_ips</c>.
    /// </summary>
    public async Task<(Caller? Caller, ApiError? Error)> ResolveAsync(HttpContext http, string missing)
    {
        if (limits.AuthBlocked(http) is { } blocked)
        {
            return (null, blocked);
        }

        var (caller, forged) = await AuthenticateAsync(http);
        if (forged is not null)
        {
            return (null, forged);
        }

        if (caller is null)
        {
            limits.AuthFailed(http);
            return (null, ApiError.Unauthorized(missing));
        }

        if (caller.ExpiresAt is { } expires && expires <= clock.GetUtcNow())
        {
            limits.AuthFailed(http);
            return (null, new ApiError(401, "api_key_expired", $"This API key expired at {expires:u}."));
        }

        // Right after the key resolves, before any handler reads the body: a fenced key used from elsewhere learns
        // nothing more. Not an auth failure of the IP (the key is real), so it does not count towards the IP block.
        if (!KeyAccess.Allows(caller.AllowedIps, http.Connection.RemoteIpAddress))
        {
            return (null, new ApiError(403, "ip_not_allowed",
                $"This API key may not be used from {http.Connection.RemoteIpAddress?.ToString() ?? "an unknown address"}; ask the operator to add your network to the key's allowed_ips."));
        }

        return (caller, null);
    }

    private async Task<(Caller? Caller, ApiError? Forged)> AuthenticateAsync(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (header.Length == 0 && http.Request.Cookies.ContainsKey(DashboardSessions.Cookie))
        {
            // The dashboard's session cookie, only when no key is sent: a key always wins, so API clients are unchanged.
            return await sessions.CallerAsync(http);
        }

        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) || header.Length <= scheme.Length)
        {
            return (null, null);
        }

        var secret = header[scheme.Length..].Trim();
        return (secret.Length == 0 ? null : await keys.AuthenticateAsync(secret, http.RequestAborted), null);
    }
}

/// <summary>The route-group filter that admits callers with a valid key (and, for admin routes, an admin key); 401/403 otherwise.</summary>
internal static class CallerAuth
{
    private const string ItemKey = "vidgate.caller";
    private const string Missing = "Missing or invalid API key. Send it as 'Authorization: Bearer <key>'.";

    public static TBuilder RequireCaller<TBuilder>(this TBuilder builder, bool admin = false) where TBuilder : IEndpointConventionBuilder
        => builder.AddEndpointFilterFactory((factory, next) =>
        {
            var callers = factory.ApplicationServices.GetRequiredService<CallerResolver>();
            return async context =>
            {
                var http = context.HttpContext;
                var (caller, error) = await callers.ResolveAsync(http, Missing);
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
            };
        });

    /// <summary>The caller set by <see cref="RequireCaller{TBuilder}"/>.</summary>
    public static Caller Caller(this HttpContext http) => (Caller)http.Items[ItemKey]!;
}
