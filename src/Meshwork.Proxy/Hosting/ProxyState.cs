using System.Collections.Frozen;
using Meshwork.Identity;
using Meshwork.Proxy.Identity;
using Meshwork.Proxy.MeshTls;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Hosting;

/// <summary>
/// The proxy's two moving parts, each published by one reference swap: the current config (from the
/// snapshot) and the current credentials; and the mesh TLS context derived from both, swapped whole
/// when either changes what TLS needs. Readers take each reference once per connection.
/// </summary>
internal sealed class ProxyState
{
    private volatile ActiveConfig? _config;
    private volatile ActiveCredentials? _credentials;
    private volatile MeshTlsContext? _tls;
    private readonly Lock _tlsRebuild = new();

    public ProxyState(string ownNamespace, TimeProvider time)
    {
        OwnNamespace = ownNamespace;
        Time = time;
        PlaintextPeers = new Inbound.PlaintextPeerTable(time);
    }

    /// <summary>Who reached the workload ports without TLS (for the STRICT pre-flight), bounded.</summary>
    public Inbound.PlaintextPeerTable PlaintextPeers { get; }

    public string OwnNamespace { get; }
    public TimeProvider Time { get; }
    public ActiveConfig? Config => _config;
    public ActiveCredentials? Credentials => _credentials;
    /// <summary>The TLS context of the current credentials and trust; null while there is no trust bundle.</summary>
    public MeshTlsContext? Tls => _tls;
    public DateTimeOffset? ConfigAppliedAt { get; private set; }

    /// <summary>Validates and publishes a snapshot. On error the last good config stays in place.</summary>
    public bool TryApply(ProxySnapshot snapshot, out string? error)
    {
        var config = ActiveConfig.TryCreate(snapshot, OwnNamespace, out error);
        if (config is null) return false;
        _config = config;
        ConfigAppliedAt = Time.GetUtcNow();
        RefreshTls();
        return true;
    }

    public void SetCredentials(WorkloadCredentials credentials)
    {
        _credentials = new ActiveCredentials(credentials, Time.GetUtcNow());
        RefreshTls();
    }

    /// <summary>
    /// Publishes the TLS context for what is current now. Serialized, so that a snapshot and a
    /// rotation arriving together cannot leave a context built from the older of either.
    /// </summary>
    private void RefreshTls()
    {
        lock (_tlsRebuild)
        {
            var config = _config;
            var credentials = _credentials;
            _tls = MeshTlsContext.For(_tls, credentials, TrustBundleOf(config, credentials), config?.TrustDomains ?? FrozenSet<string>.Empty, Time);
        }
    }

    /// <summary>The roots for mesh traffic: the snapshot's trust bundle, else the cert dir's root-cert.pem. Never the OS store.</summary>
    public static TrustBundle? TrustBundleOf(ActiveConfig? config, ActiveCredentials? credentials) =>
        config?.TrustBundle ?? credentials?.Credentials.TrustBundle;

    /// <summary>Why the proxy is not ready, or null when it is.</summary>
    public string? NotReadyReason(bool needsCertificate)
    {
        if (needsCertificate && _credentials is null) return "no workload certificate yet";
        if (_config is null) return "no configuration snapshot yet";
        return null;
    }
}
