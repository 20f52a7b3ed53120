using Npgsql;
using Vidgate.Server.Accounts;
using Vidgate.Server.Billing;
using Vidgate.Server.Data.Postgres;
using Vidgate.Server.Data.Sqlite;
using Vidgate.Server.Live;
using Vidgate.Server.Models;
using Vidgate.Server.Providers.Registry;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Data;

/// <summary>
/// The database layer: one engine, chosen by <c>Vidgate:Database:Provider</c> = <c>sqlite</c> (the default: the
/// embedded file in the data folder, <c>Data/Sqlite/</c>) or <c>postgres</c> (<c>ConnectionStrings:Vidgate</c>, an
/// Npgsql connection string; <c>Data/Postgres/</c>, shared by several nodes), and its implementation of every store seam
/// the features define. Only the chosen engine is ever built: a PostgreSQL node creates no SQLite file.
/// </summary>
internal static class DataExtensions
{
    public const string ProviderKey = "Vidgate:Database:Provider";
    public const string ConnectionStringName = "Vidgate";

    public static IServiceCollection AddDatabase(this IServiceCollection services)
    {
        services.AddSingleton<SqliteDatabase>();
        services.AddSingleton(sp => PostgresDatabase.Create(
            sp.GetRequiredService<IConfiguration>().GetConnectionString(ConnectionStringName), sp.GetRequiredService<ILogger<PostgresDatabase>>()));
        services.AddSingleton<PostgresTaskCache>();
        services.AddSingleton(Pick<ITaskStore, SqliteTaskStore, PostgresTaskStore>);
        services.AddSingleton(Pick<IUpstreamJobStore, SqliteUpstreamJobStore, PostgresUpstreamJobStore>);
        services.AddSingleton(Pick<IKeyStore, SqliteKeyStore, PostgresKeyStore>);
        services.AddSingleton(Pick<ILedger, SqliteLedger, PostgresLedger>);
        services.AddSingleton(Pick<IBillingStore, SqliteBillingStore, PostgresBillingStore>);
        services.AddSingleton(Pick<IUpstreamConfigStore, SqliteUpstreamConfigStore, PostgresUpstreamConfigStore>);
        services.AddSingleton(Pick<Dashboard.ISessionStore, SqliteSessionStore, PostgresSessionStore>);
        services.AddSingleton(Pick<IModelStore, SqliteModelStore, PostgresModelStore>);
        services.AddSingleton<IStartupCheck, DatabaseCheck>();
        // AddSingleton, not AddHostedService: the factory's type is only known as IHostedService.
        services.AddSingleton<IHostedService>(sp => IsPostgres(sp.GetRequiredService<IConfiguration>()) is true
                && sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<VidgateOptions>>().Value.Workers
            ? ActivatorUtilities.CreateInstance<PostgresWakeUps>(sp)
            : new NoWakeUps());

        // Live progress across nodes: every node (API-only ones serve the event streams) relays task change hints.
        services.AddSingleton<PostgresTaskChanges>();
        services.AddSingleton<ITaskChangeRelay>(sp => IsPostgres(sp.GetRequiredService<IConfiguration>()) is true
            ? sp.GetRequiredService<PostgresTaskChanges>()
            : ITaskChangeRelay.LocalOnly);
        services.AddSingleton<IHostedService>(sp => IsPostgres(sp.GetRequiredService<IConfiguration>()) is true
            ? sp.GetRequiredService<PostgresTaskChanges>()
            : new NoWakeUps());
        return services;
    }

    /// <summary>True for <c>postgres</c>; false for <c>sqlite</c> or nothing; null for anything else (refused at start).</summary>
    public static bool? IsPostgres(IConfiguration configuration) => configuration[ProviderKey]?.Trim().ToLowerInvariant() switch
    {
        null or "" or "sqlite" => false,
        "postgres" => true,
        _ => null,
    };

    private static T Pick<T, TSqlite, TPostgres>(IServiceProvider services)
        where T : class
        where TSqlite : T
        where TPostgres : T
        => IsPostgres(services.GetRequiredService<IConfiguration>()) is true
            ? ActivatorUtilities.CreateInstance<TPostgres>(services)
            : ActivatorUtilities.CreateInstance<TSqlite>(services);

    /// <summary>SQLite (one process per file) and API-only nodes listen for nothing.</summary>
    private sealed class NoWakeUps : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>
    /// On PostgreSQL: the database is reached and migrated before anything else starts (under the migrations' advisory
    /// lock). A wrong provider, connection string or server is one line and exit code 1 (<see cref="IStartupCheck"/>).
    /// </summary>
    private sealed class DatabaseCheck(IServiceProvider services, IConfiguration configuration) : IStartupCheck
    {
        public async Task<string?> CheckAsync(CancellationToken ct)
        {
            switch (IsPostgres(configuration))
            {
                case null:
                    return $"database: {ProviderKey} is '{configuration[ProviderKey]}'; use sqlite (the default) or postgres.";
                case false:
                    try
                    {
                        // Opening the file applies its migrations; a file a newer Vidgate migrated is refused there.
                        services.GetRequiredService<SqliteDatabase>();
                        return null;
                    }
                    catch (SchemaTooNewException ex)
                    {
                        return $"database: {ex.Message}";
                    }
                    catch (Exception ex) when (ex is Microsoft.Data.Sqlite.SqliteException or IOException or UnauthorizedAccessException)
                    {
                        var path = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<VidgateOptions>>().Value.DatabasePath;
                        return $"database: the SQLite file {path} cannot be used: {PostgresDatabase.OneLine(ex.Message)}. "
                            + "Check the data folder (VIDGATE_DATA_DIR) and its permissions, and start again.";
                    }
            }

            var db = services.GetRequiredService<PostgresDatabase>();
            if (db.Problem is { } problem)
            {
                return $"database: {problem}.";
            }

            try
            {
                await db.MigrateAsync(ct);
                return null;
            }
            catch (SchemaTooNewException ex)
            {
                return $"database: {ex.Message}";
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
            {
                var reason = ex switch
                {
                    PostgresException pg => $"{pg.SqlState}: {pg.MessageText}",
                    { InnerException: { } inner } => $"{ex.Message} ({inner.Message})",
                    _ => ex.Message,
                };
                return $"database: PostgreSQL at {db.Where} cannot be used: {PostgresDatabase.OneLine(reason)}. "
                    + "Fix ConnectionStrings:Vidgate (or start the database) and start again.";
            }
        }
    }
}
