using Meshwork.Proxy.Forwarding;

namespace Meshwork.Proxy.Tests.Contract;

/// <summary>
/// The inbound entry paths: a mesh client with sleep.foo's workload certificate talks to the server sidecar
/// directly, sending the peer metadata that sleep.foo's sidecar would send. What they lack, by nature, is said here once.
/// </summary>
public abstract class InboundEntryPathContract : EntryPathContract
{
    protected override string NoSecureNaming => "the mesh client dials the server sidecar itself: no client sidecar checks the server's identity against a service";
    protected override string NoEndpointRetry => "the server sidecar has one endpoint, its app: there is no other endpoint to retry on";
    protected override string NoSourceReporter => "no client sidecar is on the path, so nothing reports as source";
    protected override string NoHttpRouting => "routing is the client sidecar's work: a request at the server sidecar has already been routed";

    /// <summary>The peer metadata sleep.foo's sidecar sends on mTLS requests; the mesh client plays that sidecar.</summary>
    internal static readonly (string Name, string Value)[] PeerFields =
        [(PeerMetadata.Workload, "sleep"), (PeerMetadata.App, "sleep"), (PeerMetadata.Version, "v1")];
}
