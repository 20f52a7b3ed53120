namespace Vidgate.Server.Live;

/// <summary>
/// Carries change hints to the other nodes on the same database (PostgreSQL: <c>Data/Postgres/PostgresTaskChanges</c>,
/// <c>pg_notify</c> + one LISTEN per node). Must never block or throw: it is called right after a store write.
/// </summary>
internal interface ITaskChangeRelay
{
    /// <summary>One process owns the database (SQLite): the local feed is the whole story.</summary>
    public static ITaskChangeRelay LocalOnly { get; } = new Nowhere();

    void Announce(string taskId);

    /// <summary>Changes whose ids are unknown (a lapsed-lease re-queue): every node's watchers read again.</summary>
    void AnnounceAll();

    private sealed class Nowhere : ITaskChangeRelay
    {
        public void Announce(string taskId)
        {
        }

        public void AnnounceAll()
        {
        }
    }
}
