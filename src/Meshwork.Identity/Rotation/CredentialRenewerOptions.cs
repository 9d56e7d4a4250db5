namespace Meshwork.Identity;

/// <summary>How a <see cref="CredentialRenewer"/> schedules renewals and retries.</summary>
public sealed record CredentialRenewerOptions
{
    /// <summary>Type of the key made for each renewal (a new key every time).</summary>
    public KeyAlgorithm KeyAlgorithm { get; init; } = KeyAlgorithm.EcdsaP256;

    /// <summary>
    /// Renew once this fraction of the certificate's lifetime has passed. Istio's agent renews at
    /// expiry − 0.5 × lifetime, so a 24 h certificate is renewed after about 12 h.
    /// </summary>
    public double RenewAfterFraction { get; init; } = 0.5;

    /// <summary>
    /// Random spread added to <see cref="RenewAfterFraction"/>, ± this fraction of the lifetime, so that
    /// proxies started together do not all call the CA at the same instant (Istio: 0.01).
    /// </summary>
    public double Jitter { get; init; } = 0.01;

    /// <summary>First delay after a failed renewal; doubles on each further failure.</summary>
    public TimeSpan InitialRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Upper bound of the retry delay.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The clock: <see cref="TimeProvider.System"/>, or a fake one in tests.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// The roots to accept, usually the trust bundle of the latest snapshot from the control plane. When
    /// null or when it returns null, the root the CA returned last in the chain is used.
    /// </summary>
    public Func<TrustBundle?>? TrustBundle { get; init; }

    /// <summary>Source of jitter; tests pass a seeded one.</summary>
    public Random? Random { get; init; }

    internal void Validate()
    {
        if (RenewAfterFraction is <= 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(RenewAfterFraction), RenewAfterFraction, "must be between 0 and 1 (exclusive): the fraction of the lifetime after which to renew");
        if (Jitter < 0 || Jitter >= Math.Min(RenewAfterFraction, 1 - RenewAfterFraction))
            throw new ArgumentOutOfRangeException(nameof(Jitter), Jitter, "must be at least 0 and keep the renewal time inside the certificate's lifetime");
        if (InitialRetryDelay <= TimeSpan.Zero || MaxRetryDelay < InitialRetryDelay)
            throw new ArgumentOutOfRangeException(nameof(InitialRetryDelay), InitialRetryDelay, "retry delays must be positive, with the maximum not below the initial one");
    }
}
