using Meshwork.CertificateAuthority;
using Meshwork.Store;

namespace Meshwork.ControlPlane.Ca;

/// <summary>The control plane's store as the ledger of redeemed bootstrap tokens: shared by every replica of a PostgreSQL store, kept across restarts by SQLite.</summary>
internal sealed class StoreRedeemedTokens(IResourceStore store) : IRedeemedTokenLedger
{
    public Task<bool> TryRedeemAsync(string tokenId, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        store.TryRedeemTokenAsync(tokenId, expiresAt, cancellationToken);
}
