using System.Text.Json;
using Vidgate.Server.Accounts;
using Vidgate.Server.Billing;

namespace Vidgate.Server.Dashboard;

/// <summary>
/// <c>/dashboard/session</c>: sign in (an API key for a session cookie), read the session (who, admin or not, the
/// anti-forgery token), sign out (the session ends in the store, not only in this browser).
/// </summary>
internal static class SessionEndpoints
{
    private const string Tag = "Dashboard";

    public static void MapDashboardSession(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/dashboard/session", SignIn)
            .WithVidgateDocs(Tag, "Sign in to the dashboard: exchange an API key for a session cookie", DocAuth.None, 400, 401, 429)
            .Takes(RouteDocs.Json, "{\"api_key\": \"vg_...\"}, a form field api_key, or the key as Authorization: Bearer.", typeof(SignInRequest))
            .Produces<SessionInfo>();
        routes.MapGet("/dashboard/session", Read)
            .WithVidgateDocs(Tag, "The dashboard session of this browser (cookie)", DocAuth.None, 401)
            .Produces<SessionInfo>();
        routes.MapDelete("/dashboard/session", SignOut)
            .WithVidgateDocs(Tag, "Sign out: end this browser's dashboard session", DocAuth.None, 403)
            .Produces(StatusCodes.Status204NoContent);
    }

    private static async Task<IResult> SignIn(
        HttpContext http, ApiKeys keys, DashboardSessions sessions, RequestLimits limits, TimeProvider clock, CancellationToken ct)
    {
        if (limits.AuthBlocked(http) is { } blocked)
        {
            return blocked.ToResult();
        }

        var (secret, error) = await KeyOf(http.Request, ct);
        if (error is not null)
        {
            return error.ToResult();
        }

        var caller = await keys.AuthenticateAsync(secret!, ct);
        if (caller is null)
        {
            limits.AuthFailed(http);
            return new ApiError(401, "invalid_api_key", "That API key is not valid. Check it for typos, or ask your operator for a new one.", "api_key").ToResult();
        }

        if (caller.ExpiresAt is { } expires && expires <= clock.GetUtcNow())
        {
            limits.AuthFailed(http);
            return new ApiError(401, "api_key_expired", $"This API key expired at {expires:u}.", "api_key").ToResult();
        }

        var (value, session) = await sessions.StartAsync(caller, ct);
        http.Response.Cookies.Append(DashboardSessions.Cookie, value, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = http.Request.IsHttps,
            Path = "/",
            Expires = session.ExpiresAt,
            IsEssential = true,
        });
        http.Response.Headers.CacheControl = "no-store";
        return Info(new ActiveSession(caller.KeyId, [], session.Csrf, session.ExpiresAt), caller);
    }

    private static async Task<IResult> Read(HttpContext http, DashboardSessions sessions, CancellationToken ct)
    {
        var (session, caller) = await sessions.FindAsync(http.Request.Cookies[DashboardSessions.Cookie] ?? "", ct);
        http.Response.Headers.CacheControl = "no-store";
        return session is null
            ? ApiError.Unauthorized("Not signed in to the dashboard (no session, or it ended). Sign in with an API key.").ToResult()
            : Info(session, caller!);
    }

    private static async Task<IResult> SignOut(HttpContext http, DashboardSessions sessions, CancellationToken ct)
    {
        var value = http.Request.Cookies[DashboardSessions.Cookie] ?? "";
        var (session, _) = await sessions.FindAsync(value, ct);
        if (session is not null)
        {
            // Else another site could sign a user out; harmless, but a forged request must never change anything.
            if (!DashboardSessions.CsrfMatches(http.Request, session))
            {
                return new ApiError(403, "csrf_failed", $"Signing out needs the {DashboardSessions.CsrfHeader} header of the session.").ToResult();
            }

            await sessions.EndAsync(value, ct);
        }

        http.Response.Cookies.Delete(DashboardSessions.Cookie, new CookieOptions { Path = "/", HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = http.Request.IsHttps });
        return TypedResults.NoContent();
    }

    private static IResult Info(ActiveSession session, Caller caller) => TypedResults.Json(
        new SessionInfo("dashboard.session", caller.AccountId, session.KeyId, caller.IsAdmin, session.Csrf, session.ExpiresAt.ToUnixTimeSeconds()),
        DashboardJson.Default.SessionInfo);

    /// <summary>The key from a JSON body, a form, or (no key in the body) the Authorization header; a 400 if none.</summary>
    private static async Task<(string? Key, ApiError? Error)> KeyOf(HttpRequest request, CancellationToken ct)
    {
        string? key = null;
        if (request.HasFormContentType)
        {
            try
            {
                key = (await request.ReadFormAsync(ct))["api_key"].ToString();
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or BadHttpRequestException)
            {
                return (null, ApiError.Invalid("body", "The form could not be read: " + ex.Message, "invalid_form"));
            }
        }
        else if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            var (document, error) = await JsonBody.ReadAsync(request, ct);
            if (error is not null)
            {
                return (null, error);
            }

            using (document)
            {
                if (document!.RootElement.ValueKind != JsonValueKind.Object)
                {
                    return (null, ApiError.Invalid("body", "Send a JSON object: {\"api_key\": \"vg_...\"}.", "invalid_json"));
                }

                if (document.RootElement.TryGetProperty("api_key", out var field))
                {
                    if (field.ValueKind != JsonValueKind.String)
                    {
                        return (null, ApiError.Invalid("api_key", "api_key must be a string.", "invalid_type"));
                    }

                    key = field.GetString();
                }
            }
        }

        key = key?.Trim();
        if (string.IsNullOrEmpty(key))
        {
            var header = request.Headers.Authorization.ToString();
            key = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
        }

        return string.IsNullOrEmpty(key)
            ? (null, ApiError.Invalid("api_key", "Enter your API key (it starts with vg_).", "missing_field"))
            : (key.Length > 512 ? (null, ApiError.Invalid("api_key", "That is too long to be an API key.", "invalid_value")) : (key, null));
    }
}
