using System.Data.Common;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Vidgate.Server.Accounts;
using Vidgate.Server.Billing;
using Vidgate.Server.Data.Postgres;
using Vidgate.Server.Models;
using Vidgate.Server.Providers.Registry;
using Vidgate.Server.Tasks;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Data.Postgres;

/// <summary>
/// The PostgreSQL engine on a real database of its own in the run's cluster (<see cref="PostgresServer"/>), migrated by
/// the real migrations, dropped when the instance that made it is disposed. <see cref="OpenAnother"/> is another node:
/// its own data source (its own pool) on the same database.
/// </summary>
internal sealed class PostgresEngine : StoreEngine
{
    private readonly string _database;
    private readonly bool _ownsDatabase;
    private readonly PostgresLedger _ledger = new();

    public PostgresEngine()
        : this(PostgresServer.Instance.CreateDatabase(), ownsDatabase: true)
    {
    }

    private PostgresEngine(string database, bool ownsDatabase)
    {
        (_database, _ownsDatabase) = (database, ownsDatabase);
        Database = PostgresDatabase.Create(PostgresServer.Instance.ConnectionString(database), NullLogger.Instance);
        Database.MigrateAsync(CancellationToken.None).GetAwaiter().GetResult();
        var participant = new TaskMoney(_ledger);
        Tasks = new PostgresTaskStore(Database, [participant]);
        UpstreamJobs = new PostgresUpstreamJobStore(Database, [participant]);
        Keys = new PostgresKeyStore(Database, Options.Create(new BillingOptions()));
        Billing = new PostgresBillingStore(Database, TimeProvider.System);
        UpstreamConfig = new PostgresUpstreamConfigStore(Database);
        Models = new PostgresModelStore(Database);
    }

    public PostgresDatabase Database { get; }

    /// <summary>The connection string of this engine's database, for a test's own connections.</summary>
    public string ConnectionString => PostgresServer.Instance.ConnectionString(_database);

    public override ITaskStore Tasks { get; }

    public override IUpstreamJobStore UpstreamJobs { get; }

    public override IKeyStore Keys { get; }

    public override ILedger Ledger => _ledger;

    public override IBillingStore Billing { get; }

    public override IUpstreamConfigStore UpstreamConfig { get; }

    public override IModelStore Models { get; }

    public override StoreEngine OpenAnother() => new PostgresEngine(_database, ownsDatabase: false);

    public override Task<T> InWriteAsync<T>(Func<DbConnection, ValueTask<T>> operation)
        => Database.WriteAsync(async connection => await operation(connection), CancellationToken.None);

    public override void Dispose()
    {
        Database.Dispose();
        if (_ownsDatabase)
        {
            PostgresServer.Instance.DropDatabase(_database);
        }
    }
}
