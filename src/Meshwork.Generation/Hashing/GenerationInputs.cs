using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Meshwork.Model.Mesh;

namespace Meshwork.Generation.Hashing;

/// <summary>
/// Hashes of what generation reads, so that a server can skip generating when nothing it reads
/// changed (Kuma's dataplane watchdog does the same). The mesh fingerprint is computed once per
/// mesh state and shared by every proxy; with the trust bundle it decides, once per change, whether
/// any proxy's snapshot can differ.
/// </summary>
public static class GenerationInputs
{
    private static readonly JsonSerializerOptions MeshJson = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>A content hash of everything in <paramref name="mesh"/>.</summary>
    public static string MeshFingerprint(MeshState mesh)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        // Generation reads the whole mesh (every Service is in every sidecar's outbound), so the
        // whole state is the input. Metadata that changes on every write (resourceVersion) is
        // content too: a write that changed nothing else costs one generation, never a push,
        // because the snapshot version is unchanged.
        // Streamed through the hash rather than serialized into one array: the state of a large mesh is megabytes of
        // JSON, which as an array per change would be a large-object allocation (and a full collection, in time).
        using var sha = SHA256.Create();
        using (var hashing = new CryptoStream(Stream.Null, sha, CryptoStreamMode.Write, leaveOpen: true))
        {
            JsonSerializer.Serialize(hashing, mesh, MeshJson);
        }
        return SnapshotVersion.Hex(sha.Hash!);
    }

    /// <summary>
    /// The hash of the inputs every proxy shares: the mesh fingerprint and the trust bundle. For a caller whose proxy's
    /// registration cannot change (a stream's is fixed when it opens), this alone decides whether to generate again,
    /// computed once per change instead of once per proxy.
    /// </summary>
    public static string Shared(string meshFingerprint, ImmutableArray<string> trustBundlePem)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(meshFingerprint));
        AppendBundle(hash, trustBundlePem);
        return SnapshotVersion.Hex(hash.GetHashAndReset());
    }

    private static void AppendBundle(IncrementalHash hash, ImmutableArray<string> trustBundlePem)
    {
        foreach (var pem in trustBundlePem.IsDefault ? [] : trustBundlePem)
        {
            hash.AppendData([0]);
            hash.AppendData(Encoding.UTF8.GetBytes(pem));
        }
    }
}
