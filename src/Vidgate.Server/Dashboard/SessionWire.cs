using System.Text.Json.Serialization;

namespace Vidgate.Server.Dashboard;

/// <summary><c>POST /dashboard/session</c>: the API key to sign in with (or none, when it comes as <c>Authorization: Bearer</c>).</summary>
internal sealed record SignInRequest(string? ApiKey);

/// <summary>
/// The signed-in session as the page sees it. The key is never in it: the page knows who it is, whether admin pages
/// apply, and the anti-forgery token to send as <c>X-Vidgate-Csrf</c>.
/// </summary>
internal sealed record SessionInfo(string Object, string AccountId, string KeyId, bool IsAdmin, string CsrfToken, long ExpiresAt);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(SessionInfo))]
internal sealed partial class DashboardJson : JsonSerializerContext;
