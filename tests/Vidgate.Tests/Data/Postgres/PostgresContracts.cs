namespace Vidgate.Tests.Data.Postgres;

/// <summary>The task store contract on PostgreSQL (a database of its own in the run's cluster).</summary>
public sealed class PostgresTaskStoreTests() : TaskStoreContract(new PostgresEngine());

/// <summary>The upstream job store contract on PostgreSQL.</summary>
public sealed class PostgresUpstreamJobStoreTests() : UpstreamJobStoreContract(new PostgresEngine());

/// <summary>The key store contract on PostgreSQL.</summary>
public sealed class PostgresKeyStoreTests() : KeyStoreContract(new PostgresEngine());

/// <summary>The billing store contract (money, idempotency, conservation) on PostgreSQL.</summary>
public sealed class PostgresBillingStoreTests() : BillingStoreContract(new PostgresEngine());

/// <summary>The model catalog store contract on PostgreSQL.</summary>
public sealed class PostgresModelStoreTests() : ModelStoreContract(new PostgresEngine());
