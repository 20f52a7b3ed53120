using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Vidgate.Server.Accounts;

namespace Vidgate.Server.Dashboard;

/// <summary>
/// The dashboard's way in: an API key exchanged once for a server-side session behind the <c>vidgate_session</c>
/// cookie. The cookie value is 256 random bits; the store keeps its SHA-256 (as for keys, a fast hash is right for a
/// secret with that much entropy). A session stands for the key it was opened with, so revoking the key ends it too.
/// </summary>
internal sealed class DashboardSessions(ISessionStore store, IKeyStore keys, IOptions<DashboardOptions> options, TimeProvider clock)
{
    public const string Cookie = "vidgate_session";

    /// <summary>The anti-forgery header every state-changing cookie request must carry (another site cannot read or set it).</summary>
    public const string CsrfHeader = "X-Vidgate-Csrf";

    public bool Enabled => options.Value.Enabled;

    public async Task<(string CookieValue, NewSession Session)> StartAsync(Caller caller, CancellationToken ct)
    {
        var value = Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = clock.GetUtcNow();
        var session = new NewSession(Hash(value), caller.KeyId, Base64Url(RandomNumberGenerator.GetBytes(24)), now, now + options.Value.SessionLifetime);
        await store.CreateAsync(session, ct);
        return (value, session);
    }

    /// <summary>The live session behind a cookie value and the caller it stands for, or nulls.</summary>
    public async Task<(ActiveSession? Session, Caller? Caller)> FindAsync(string cookieValue, CancellationToken ct)
    {
        if (!Enabled || cookieValue.Length is 0 or > 100)
        {
            return (null, null);
        }

        var session = await store.FindAsync(Hash(cookieValue), clock.GetUtcNow(), ct);
        var caller = session is null ? null : await keys.FindActiveAsync(session.KeySecretHash, ct);
        return caller is null ? (null, null) : (session, caller);
    }

    public Task<bool> EndAsync(string cookieValue, CancellationToken ct)
        => cookieValue.Length is 0 or > 100 ? Task.FromResult(false) : store.RevokeAsync(Hash(cookieValue), clock.GetUtcNow(), ct);

    /// <summary>
    /// The caller of a cookie request (no <c>Authorization</c> header), or the error: a state-changing method without the
    /// session's anti-forgery header is a 403 <c>csrf_failed</c>, never run. SameSite=Strict already keeps the cookie off
    /// other sites' requests; the header is the second lock for browsers or proxies that do not honour it.
    /// </summary>
    public async Task<(Caller? Caller, ApiError? Error)> CallerAsync(HttpContext http)
    {
        if (!Enabled || http.Request.Cookies[Cookie] is not { Length: > 0 } value)
        {
            return (null, null);
        }

        var (session, caller) = await FindAsync(value, http.RequestAborted);
        if (session is null)
        {
            return (null, null);
        }

        if (IsStateChanging(http.Request.Method) && !CsrfMatches(http.Request, session))
        {
            return (null, new ApiError(403, "csrf_failed",
                $"This request came with the dashboard's session cookie but without its {CsrfHeader} header; reload the page and try again."));
        }

        return (caller, null);
    }

    public static bool IsStateChanging(string method)
        => !(HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method));

    public static bool CsrfMatches(HttpRequest request, ActiveSession session)
        => request.Headers[CsrfHeader].ToString() is { Length: > 0 } sent
           && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(sent), Encoding.UTF8.GetBytes(session.Csrf));

    private static byte[] Hash(string value) => SHA256.HashData(Encoding.UTF8.GetBytes(value));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
