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

    /// <summary>The field lines ("name: value\r\n") naming <paramref name="node"/>; empty without a node.</summary>
    public static byte[] FieldLines(Meshwork.ProxyProtocol.Snapshots.ProxyNode? node)
    {
        if (node is null) return [];
        var text = new System.Text.StringBuilder();
        text.Append(Workload).Append(": ").Append(node.Workload).Append("\r\n");
        if (node.App is { } app) text.Append(App).Append(": ").Append(app).Append("\r\n");
        if (node.Version is { } version) text.Append(Version).Append(": ").Append(version).Append("\r\n");
        return System.Text.Encoding.ASCII.GetBytes(text.ToString());
    }
}
