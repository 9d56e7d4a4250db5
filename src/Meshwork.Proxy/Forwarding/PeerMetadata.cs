namespace Meshwork.Proxy.Forwarding;

/// <summary>
/// Peer metadata exchange, as Istio's x-envoy-peer-metadata headers do: the client sidecar names its
/// workload on mTLS requests so the server's metrics can label the source. Trusted only over mTLS
/// (namespace and principal still come from the certificate), and never forwarded to an app.
/// </summary>
internal static class PeerMetadata
{
    public const string Prefix = "x-meshwork-peer-";
    public const string Workload = "x-meshwork-peer-workload";
    public const string App = "x-meshwork-peer-app";
    public const string Version = "x-meshwork-peer-version";

    public static bool IsPeerHeader(string name) => name.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase);
}
