using System.Collections.Immutable;
using Meshwork.ControlPlane.Registry;
using Meshwork.Generation;
using Meshwork.Generation.Hashing;
using Meshwork.Identity;
using Meshwork.Model.Mesh;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.ControlPlane.Push;

/// <summary>
/// Generates a connection's snapshot, skipping generation when its inputs (mesh content,
/// registration, trust bundle) hash the same as last time. A connection's registration is fixed
/// when its stream opens, so the hash of the mesh fingerprint and the trust bundle decides, and it
/// is computed once per mesh state and bundle, not once per proxy; proxies of one namespace share
/// their outbound view.
/// </summary>
public sealed class ProxySnapshotFactory(Func<TrustBundle> trustBundle)
{
    private readonly object _gate = new();
    private (MeshState Mesh, string Fingerprint, GenerationContext Context)? _fingerprint;
    private (TrustBundle Bundle, ImmutableArray<string> Pem)? _bundle;
    private (string Fingerprint, TrustBundle Bundle, string InputHash)? _inputs;

    /// <summary>How many times a generation actually ran (the rest were skipped by the input hash).</summary>
    public long Generations => Interlocked.Read(ref _generations);
    private long _generations;

    public ProxySnapshot For(ProxyConnection connection, MeshState mesh)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var (inputHash, context, pem) = Inputs(mesh);
        if (connection.LastGenerated is { } last && last.InputHash == inputHash) return last.Snapshot;
        var snapshot = SnapshotGenerator.Generate(connection.Registration, context, pem);
        Interlocked.Increment(ref _generations);
        connection.LastGenerated = (inputHash, snapshot);
        return snapshot;
    }

    private (string InputHash, GenerationContext Context, ImmutableArray<string> Pem) Inputs(MeshState mesh)
    {
        var bundle = trustBundle();
        lock (_gate)
        {
            if (_fingerprint is not { } f || !ReferenceEquals(f.Mesh, mesh))
            {
                _fingerprint = f = (mesh, GenerationInputs.MeshFingerprint(mesh), new GenerationContext(mesh));
            }
            if (_bundle is not { } b || !ReferenceEquals(b.Bundle, bundle))
            {
                _bundle = b = (bundle, bundle.ToPem());
            }
            if (_inputs is not { } i || !ReferenceEquals(i.Fingerprint, f.Fingerprint) || !ReferenceEquals(i.Bundle, bundle))
            {
                _inputs = i = (f.Fingerprint, bundle, GenerationInputs.Shared(f.Fingerprint, b.Pem));
            }
            return (i.InputHash, f.Context, b.Pem);
        }
    }
}
