namespace Vidgate.Server.Data;

/// <summary>
/// Refuses a database that a newer Vidgate has migrated: this binary would run on tables it does not know (a column a
/// newer node relies on left unset, a row shape it cannot read), so it stops at start with one line instead. Running
/// nodes are not affected (the check is at start only), so a rolling upgrade works: new nodes migrate, old ones keep
/// serving until they are replaced; an old node restarted after that is refused and says why (docs/deploy.md).
/// </summary>
internal static class SchemaGuard
{
    /// <summary>Throws <see cref="SchemaTooNewException"/> when <paramref name="applied"/> has versions this build does not ship.</summary>
    public static void Check(string engine, IEnumerable<int> applied, IReadOnlyCollection<int> known)
    {
        var unknown = applied.Where(version => !known.Contains(version)).Order().ToList();
        if (unknown.Count > 0)
        {
            throw new SchemaTooNewException(
                $"the {engine} database has schema version {string.Join(", ", unknown)}, which this Vidgate does not know "
                + $"(it ships versions up to {(known.Count == 0 ? 0 : known.Max())}): a newer Vidgate migrated it. "
                + "Run that newer version on this node too (or restore the backup taken before the upgrade).");
        }
    }
}

/// <summary>The database was migrated by a newer Vidgate; the message is the one line the start-up check prints.</summary>
internal sealed class SchemaTooNewException(string message) : Exception(message);
