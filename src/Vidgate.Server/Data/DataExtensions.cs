using Vidgate.Server.Accounts;
using Vidgate.Server.Billing;
using Vidgate.Server.Data.Sqlite;
using Vidgate.Server.Providers.Registry;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Data;

/// <summary>
/// The database layer: one engine (today the embedded SQLite file, <c>Data/Sqlite/</c>) and its implementation of every
/// store seam the features define. A second engine (PostgreSQL, issue #10) is a sibling folder chosen here.
/// </summary>
internal static class DataExtensions
{
    public static IServiceCollection AddDatabase(this IServiceCollection services)
    {
        services.AddSingleton<SqliteDatabase>();
        services.AddSingleton<ITaskStore, SqliteTaskStore>();
        services.AddSingleton<IUpstreamJobStore, SqliteUpstreamJobStore>();
        services.AddSingleton<IKeyStore, SqliteKeyStore>();
        services.AddSingleton<ILedger, SqliteLedger>();
        services.AddSingleton<IBillingStore, SqliteBillingStore>();
        services.AddSingleton<IUpstreamConfigStore, SqliteUpstreamConfigStore>();
        return services;
    }
}
