namespace Vidgate.Tests.Data.Postgres;

/// <summary>The daily usage rollup contract on PostgreSQL: what taking the rollup out looks like there.</summary>
public sealed class PostgresUsageRollupTests() : UsageRollupContract(new PostgresEngine())
{
    private protected override string Unmigrate => """
        DROP TRIGGER holds_usage_insert ON holds;
        DROP TRIGGER holds_usage_update ON holds;
        DROP TRIGGER holds_usage_delete ON holds;
        DROP TRIGGER holds_group_fixed ON holds;
        DROP FUNCTION holds_usage_apply();
        DROP FUNCTION usage_daily_share(holds, integer);
        DROP FUNCTION holds_group_fixed();
        DROP TABLE usage_daily;
        DELETE FROM schema_version WHERE version = 7;
        """;
}
