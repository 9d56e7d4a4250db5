using Npgsql;

namespace Meshwork.Store.Postgres.Secrets;

/// <summary>
/// Gives every replica the same key material, kept in mesh_secrets sealed by <see cref="SecretBox"/>:
/// the first replica to start creates it and seals it; every other replica opens what is stored.
/// Both happen under the secrets advisory lock, so two replicas starting together cannot create two CAs.
/// </summary>
public static class PostgresMeshSecrets
{
    private const int LockWaitSeconds = 120;

    /// <param name="create">Makes the material when the store has none: name → value.</param>
    /// <returns>The material (name → value), and whether this replica created it.</returns>
    public static async Task<(IReadOnlyDictionary<string, byte[]> Secrets, bool Created)> LoadOrCreateAsync(
        PostgresResourceStore store, SecretBox box, Func<IReadOnlyDictionary<string, byte[]>> create, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(box);
        ArgumentNullException.ThrowIfNull(create);
        await using var connection = await store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var take = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", connection, transaction) { CommandTimeout = LockWaitSeconds })
        {
            take.Parameters.AddWithValue("key", PostgresLocks.Secrets);
            await take.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        var opened = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        await using (var read = new NpgsqlCommand("SELECT name, key_id, nonce, ciphertext, tag FROM mesh_secrets ORDER BY name", connection, transaction))
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var name = reader.GetString(0);
                opened[name] = box.Open(name, new SealedSecret(reader.GetString(1), (byte[])reader[2], (byte[])reader[3], (byte[])reader[4]));
            }
        }
        if (opened.Count > 0)
        {
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return (opened, false);
        }
        var created = create();
        foreach (var (name, value) in created)
        {
            var sealedValue = box.Seal(name, value);
            await using var insert = new NpgsqlCommand(
                "INSERT INTO mesh_secrets (name, key_id, nonce, ciphertext, tag) VALUES (@name, @key_id, @nonce, @ciphertext, @tag)", connection, transaction);
            insert.Parameters.AddWithValue("name", name);
            insert.Parameters.AddWithValue("key_id", sealedValue.KeyId);
            insert.Parameters.AddWithValue("nonce", sealedValue.Nonce);
            insert.Parameters.AddWithValue("ciphertext", sealedValue.Ciphertext);
            insert.Parameters.AddWithValue("tag", sealedValue.Tag);
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return (created, true);
    }
}
