using Meshwork.Identity;
using Meshwork.Proxy.Identity;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Hosting;

/// <summary>
/// The proxy's two moving parts, each published by one reference swap: the current config (from the
/// snapshot) and the current credentials. Readers take each reference once per connection.
/// </summary>
internal sealed class ProxyState
{
    private volatile ActiveConfig? _config;
    private volatile ActiveCredentials? _credentials;

    public ProxyState(string ownNamespace, TimeProvider time)
    {
        OwnNamespace = ownNamespace;
        Time = time;
    }

    public string OwnNamespace { get; }
    public TimeProvider Time { get; }
    public ActiveConfig? Config => _config;
    public ActiveCredentials? Credentials => _credentials;
    public DateTimeOffset? ConfigAppliedAt { get; private set; }

    /// <summary>Validates and publishes a snapshot. On error the last good config stays in place.</summary>
    public bool TryApply(ProxySnapshot snapshot, out string? error)
    {
        var config = ActiveConfig.TryCreate(snapshot, OwnNamespace, out error);
        if (config is null) return false;
        _config = config;
        ConfigAppliedAt = Time.GetUtcNow();
        return true;
    }

    public void SetCredentials(WorkloadCredentials credentials) =>
        _credentials = new ActiveCredentials(credentials, Time.GetUtcNow());

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
