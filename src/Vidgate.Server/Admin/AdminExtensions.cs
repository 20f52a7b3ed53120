using Vidgate.Server.Webhooks;

namespace Vidgate.Server.Admin;

/// <summary>Every <c>/admin</c> route, mapped by the folder that owns them (admin keys only).</summary>
internal static class AdminExtensions
{
    public static IEndpointRouteBuilder MapAdmin(this IEndpointRouteBuilder routes)
    {
        routes.MapAdminKeys();
        routes.MapAdminAccounts();
        routes.MapAdminTiers();
        routes.MapAdminPrices();
        routes.MapUsage();
        routes.MapAdminQueue();
        routes.MapAdminMargin();
        routes.MapAdminProviders();
        routes.MapAdminModels();
        routes.MapAdminWebhooks();
        return routes;
    }
}
