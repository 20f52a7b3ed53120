using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Vidgate.Server.Accounts;
using Vidgate.Server.Billing;
using Vidgate.Server.Data.Sqlite;
using Vidgate.Server.Models;
using Vidgate.Server.Providers.Registry;
using Vidgate.Server.Tasks;

namespace Vidgate.Tests.Data;

/// <summary>The SQLite engine on a real file in a temporary folder, removed when the last instance on it is disposed.</summary>
internal sealed class SqliteEngine : StoreEngine
{
    private readonly string _dir;
    private readonly bool _ownsDir;
    private readonly SqliteLedger _ledger = new();

    public SqliteEngine()
        : this(Directory.CreateTempSubdirectory("vidgate-store-").FullName, ownsDir: true)
    {
    }

    private SqliteEngine(string dir, bool ownsDir)
    {
        (_dir, _ownsDir) = (dir, ownsDir);
        Database = new SqliteDatabase(Options.Create(new VidgateOptions { DataDir = dir }), NullLogger<SqliteDatabase>.Instance);
        var participant = new TaskMoney(_ledger);
        Tasks = new SqliteTaskStore(Database, [participant]);
        UpstreamJobs = new SqliteUpstreamJobStore(Database, [participant]);
        Keys = new SqliteKeyStore(Database, Options.Create(new BillingOptions()));
        Billing = new SqliteBillingStore(Database, TimeProvider.System);
        UpstreamConfig = new SqliteUpstreamConfigStore(Database);
        Models = new SqliteModelStore(Database);
    }

    public SqliteDatabase Database { get; }

    public string DatabasePath => Path.Combine(_dir, "vidgate.db");

    public override ITaskStore Tasks { get; }

    public override IUpstreamJobStore UpstreamJobs { get; }

    public override IKeyStore Keys { get; }

    public override ILedger Ledger => _ledger;

    public override IBillingStore Billing { get; }

    public override IUpstreamConfigStore UpstreamConfig { get; }

    public override IModelStore Models { get; }

    public override StoreEngine OpenAnother() => new SqliteEngine(_dir, ownsDir: false);

    public override Task<T> InWriteAsync<T>(Func<DbConnection, ValueTask<T>> operation) => Database.WriteAsync(connection => operation(connection).Completed());

    public override void Dispose()
    {
        Database.Dispose();
        if (_ownsDir)
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(_dir, recursive: true);
        }
    }
}
