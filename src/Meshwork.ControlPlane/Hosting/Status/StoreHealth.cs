using Meshwork.Store;
using Meshwork.Store.Postgres;
using Meshwork.Store.Sqlite;

namespace Meshwork.ControlPlane.Hosting.Status;

/// <summary>Whether the control plane's store answers now: the condition of its readiness.</summary>
public sealed class StoreHealth(IResourceStore store)
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);

    public async Task<StoreStatus> CheckAsync(CancellationToken cancellationToken)
    {
        switch (store)
        {
            case PostgresResourceStore postgres:
                using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    deadline.CancelAfter(ProbeTimeout);
                    bool reachable;
                    try
                    {
                        reachable = await postgres.PingAsync(deadline.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        reachable = false;
                    }
                    return new StoreStatus("postgres", postgres.Description, reachable,
                        reachable ? (postgres.IsListening ? null : "reachable, but the change feed's listener is reconnecting") : "the database does not answer");
                }
            case SqliteResourceStore sqlite:
                return new StoreStatus("sqlite", sqlite.Path, true, null);
            default:
                return new StoreStatus(store.GetType().Name, "", true, null);
        }
    }
}
