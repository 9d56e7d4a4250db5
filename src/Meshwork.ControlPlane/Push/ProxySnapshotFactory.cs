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
/// registration, trust bundle) hash the same as last time. The mesh fingerprint is computed once
/// per mesh state, not once per proxy, and proxies of one namespace share their outbound view.
/// </summary>
public sealed class ProxySnapshotFactory(Func<TrustBundle> trustBundle)
{
    private readonly object _gate = new();
    private (MeshState Mesh, string Fingerprint, GenerationContext Context)? _fingerprint;
    private (TrustBundle Bundle, ImmutableArray<string> Pem)? _bundle;

    /// <summary>How many times a generation actually ran (the rest were skipped by the input hash).</summary>
    public long Generations => Interlocked.Read(ref _generations);
    private long _generations;

    public ProxySnapshot For(ProxyConnection connection, MeshState mesh)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var (fingerprint, context, pem) = Inputs(mesh);
        var inputHash = GenerationInputs.ForProxy(fingerprint, connection.Registration, pem);
        if (connection.LastGenerated is { } last && last.InputHash == inputHash) return last.Snapshot;
        var snapshot = SnapshotGenerator.Generate(connection.Registration, context, pem);
        Interlocked.Increment(ref _generations);
        connection.LastGenerated = (inputHash, snapshot);
        return snapshot;
    }

    private (string Fingerprint, GenerationContext Context, ImmutableArray<string> Pem) Inputs(MeshState mesh)
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
            return (f.Fingerprint, f.Context, b.Pem);
        }
    }
}
