using Meshwork.Model.Mesh;

namespace Meshwork.ControlPlane.Hosting;

/// <summary>
/// The current configuration as one immutable <see cref="MeshState"/>, rebuilt from the store's
/// change feed. The push side reads <see cref="Current"/> and waits on <see cref="WaitForChangeAsync"/>.
/// </summary>
public interface IMeshStateSource
{
    MeshState Current { get; }

    /// <summary>A number that grows with every change (the store's resourceVersion).</summary>
    long Revision { get; }

    /// <summary>Completes when <see cref="Revision"/> exceeds <paramref name="knownRevision"/>.</summary>
    Task WaitForChangeAsync(long knownRevision, CancellationToken cancellationToken);
}
