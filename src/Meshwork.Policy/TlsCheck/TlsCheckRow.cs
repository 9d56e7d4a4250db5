using System.Collections.Immutable;

namespace Meshwork.Policy;

/// <summary>
/// One line of <c>authn tls-check</c>: what a client does towards one Service port and what the server
/// side accepts there, with the resources that decided each, and whether the two agree.
/// </summary>
/// <param name="ServerMode">STRICT, PERMISSIVE, DISABLE, or NONE for endpoints without a sidecar.</param>
/// <param name="ServerSource">The PeerAuthentication that set the mode ("default" when none did).</param>
/// <param name="ClientTls">ISTIO_MUTUAL, DISABLE, SIMPLE, MUTUAL, or NONE for a client without a sidecar.</param>
/// <param name="ClientSource">"auto" (auto mTLS), the DestinationRule that decided, or "no sidecar".</param>
/// <param name="Endpoints">The workloads ("ns/name") this line speaks for.</param>
/// <param name="Reason">Why the two sides agree or conflict, as a sentence.</param>
public sealed record TlsCheckRow(
    string Host, int Port, string ServerMode, string ServerSource, string ClientTls, string ClientSource,
    bool Conflict, ImmutableArray<string> Endpoints, string Reason)
{
    public string Status => Conflict ? "CONFLICT" : "OK";
}
