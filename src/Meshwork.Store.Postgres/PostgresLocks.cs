namespace Meshwork.Store.Postgres;

/// <summary>
/// The advisory-lock keys of the mesh (pg_advisory_lock takes one bigint). Each names one piece of
/// work that must happen once for the whole mesh; the high half spells "mesh" so the keys do not
/// meet another application's sharing the database.
/// </summary>
public static class PostgresLocks
{
    private const long Prefix = 0x6d657368L << 32;

    /// <summary>Schema migrations: one replica at a time brings the schema up to date.</summary>
    public const long Migrations = Prefix | 1;

    /// <summary>The mesh's singleton work (CA root rotation, token and certificate bookkeeping).</summary>
    public const long MeshLeader = Prefix | 2;

    /// <summary>The mesh's key material: the first replica creates it, the others wait and read it.</summary>
    public const long Secrets = Prefix | 3;
}
