namespace Meshwork.CertificateAuthority;

/// <summary>
/// Where the ids of redeemed bootstrap tokens are recorded: the control plane's store, which every replica shares,
/// so that a token redeemed on one replica (or before a restart) is refused on another (or after it).
/// </summary>
public interface IRedeemedTokenLedger
{
    /// <summary>Records <paramref name="tokenId"/> as used until <paramref name="expiresAt"/>: true the first time, false when it already was.</summary>
    Task<bool> TryRedeemAsync(string tokenId, DateTimeOffset expiresAt, CancellationToken cancellationToken);
}
