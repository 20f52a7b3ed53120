namespace Vidgate.Server.Dashboard;

/// <summary>The browser dashboard, section <c>Vidgate:Dashboard</c> (docs/dashboard.md).</summary>
internal sealed class DashboardOptions
{
    public const string Section = "Vidgate:Dashboard";

    /// <summary>Off: no pages, no sign-in, and the session cookie is never accepted (an API-only deployment).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// A signed-in session lasts this long, then the page asks for the key again. Short enough that a forgotten browser
    /// tab on a shared machine does not stay a way into a paid account for days.
    /// </summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(12);

    /// <summary>
    /// Users may create and revoke keys of their own account (<c>/v1/account/keys</c>, the dashboard's Keys page). Off by
    /// default: many operators hand out one key per customer and bill, support or fence by key, so a customer multiplying
    /// keys (each with its own rate limit) is the operator's decision to make, not a surprise of an upgrade.
    /// </summary>
    public bool AllowUserKeys { get; set; }
}
