using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.ControlPlane.Ca;

/// <summary>What the CA last issued to one identity: shown on the dashboard's workload page.</summary>
public sealed record IssuedCertificate(string SpiffeId, string Issuer, string Serial, DateTimeOffset NotBefore, DateTimeOffset NotAfter);

/// <summary>
/// The newest certificate the CA signed per SPIFFE ID, public parts only (never a key). Bounded: past
/// <see cref="Capacity"/> identities, the entry expiring first makes room.
/// </summary>
public sealed class IssuedCertificates
{
    public const int Capacity = 10_000;
    private readonly ConcurrentDictionary<string, IssuedCertificate> _byIdentity = new(StringComparer.Ordinal);

    /// <summary>Records the leaf certificate (PEM) issued to <paramref name="spiffeId"/>.</summary>
    public void Record(string spiffeId, string leafPem)
    {
        using var leaf = X509Certificate2.CreateFromPem(leafPem);
        if (!_byIdentity.ContainsKey(spiffeId) && _byIdentity.Count >= Capacity)
        {
            var oldest = _byIdentity.Values.MinBy(c => c.NotAfter);
            if (oldest is not null) _byIdentity.TryRemove(oldest.SpiffeId, out _);
        }
        _byIdentity[spiffeId] = new IssuedCertificate(spiffeId, leaf.Issuer, leaf.SerialNumber,
            leaf.NotBefore.ToUniversalTime(), leaf.NotAfter.ToUniversalTime());
    }

    public IssuedCertificate? Find(string spiffeId) => _byIdentity.GetValueOrDefault(spiffeId);
}
