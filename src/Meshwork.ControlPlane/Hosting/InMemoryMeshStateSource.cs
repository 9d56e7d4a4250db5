using Meshwork.Model.Mesh;

namespace Meshwork.ControlPlane.Hosting;

/// <summary>
/// A mesh state held in memory and changed directly, as an apply through the store would change
/// it: for hosting the push side without a store (tests, the push benchmark).
/// </summary>
public sealed class InMemoryMeshStateSource(MeshState initial) : IMeshStateSource
{
    private readonly object _gate = new();
    private MeshState _current = initial;
    private long _revision = 1;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public MeshState Current { get { lock (_gate) return _current; } }
    public long Revision { get { lock (_gate) return _revision; } }

    public void Set(MeshState mesh)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            _current = mesh;
            _revision++;
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }

    public void Update(Func<MeshState, MeshState> change) => Set(change(Current));

    public async Task WaitForChangeAsync(long knownRevision, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_revision > knownRevision) return;
                changed = _changed.Task;
            }
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
