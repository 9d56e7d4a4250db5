namespace Meshwork.CertificateAuthority;

/// <summary>
/// The ids of bootstrap tokens this process saw redeemed, each kept until its token expires. It refuses a used token
/// early (before a rate limit counts it as its identity's), and is the ledger of a control plane without a store;
/// the store's ledger is the one that makes a token one-time across replicas and restarts.
/// </summary>
/// <remarks>
/// One-time is Meshwork's choice (Istio accepts reusable, expiring service-account JWTs): a token read from a
/// pod's directory or a log is worth nothing once its proxy started. The set is bounded; when it is full of
/// unexpired ids a new redemption is refused (fail closed) rather than an old id forgotten.
/// </remarks>
public sealed class RedeemedTokens : IRedeemedTokenLedger
{
    public const int Capacity = 100_000;
    public const string AlreadyUsed = "the bootstrap token was already used: tokens are one-time (the runtime writes a fresh one for every proxy start); ask for a new token";

    private readonly Dictionary<string, long> _expiries = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly object _gate = new();

    public RedeemedTokens(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    /// <summary>Whether token <paramref name="id"/> was redeemed (and has not expired since).</summary>
    public bool IsRedeemed(string id, DateTimeOffset now)
    {
        lock (_gate) return _expiries.TryGetValue(id, out var expires) && expires > now.ToUnixTimeSeconds();
    }

    /// <summary>Records token <paramref name="id"/> (expiring at <paramref name="expiresAt"/>, Unix seconds) as used; false with the reason when it was already, or when the set is full.</summary>
    public bool TryRedeem(string id, long expiresAt, DateTimeOffset now, out string? refusal)
    {
        lock (_gate)
        {
            if (IsRedeemed(id, now))
            {
                refusal = AlreadyUsed;
                return false;
            }
            if (_expiries.Count >= Capacity) Prune(now);
            if (_expiries.Count >= Capacity)
            {
                refusal = $"more than {Capacity} bootstrap tokens were redeemed within their lifetime; refusing until some expire";
                return false;
            }
            _expiries[id] = expiresAt;
            refusal = null;
            return true;
        }
    }

    /// <summary>As the ledger of a control plane without a store: a full set is an error (fail closed), not a reuse.</summary>
    public Task<bool> TryRedeemAsync(string tokenId, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        if (TryRedeem(tokenId, expiresAt.ToUnixTimeSeconds(), _time.GetUtcNow(), out var refusal)) return Task.FromResult(true);
        return refusal == AlreadyUsed ? Task.FromResult(false) : throw new InvalidOperationException(refusal);
    }

    private void Prune(DateTimeOffset now)
    {
        var seconds = now.ToUnixTimeSeconds();
        foreach (var (id, expires) in _expiries.ToArray())
        {
            if (expires <= seconds) _expiries.Remove(id);
        }
    }
}
