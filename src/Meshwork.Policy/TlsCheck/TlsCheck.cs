using System.Collections.Immutable;
using Meshwork.Model.Mesh;
using Meshwork.ProxyProtocol.Snapshots;
using Meshwork.Policy.Traffic;

namespace Meshwork.Policy;

/// <summary>
/// <c>authn tls-check</c>, which Istio removed in 1.6: per Service port, the client's TLS (auto mTLS or
/// the DestinationRule, <see cref="ClientTls"/>) against each endpoint's effective mode
/// (<see cref="InboundMtls"/>). Endpoints that answer alike share one row.
/// </summary>
public static class TlsCheck
{
    public static ImmutableArray<TlsCheckRow> Check(MeshState mesh, Workload client, IEnumerable<ServiceTarget> targets)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(targets);
        var rows = ImmutableArray.CreateBuilder<TlsCheckRow>();
        foreach (var target in targets)
        {
            var lines = new List<TlsCheckRow>();
            foreach (var (endpoint, port) in ServiceResolver.Endpoints(mesh, target))
            {
                var line = Endpoint(mesh, client, target, endpoint, port);
                var same = lines.FindIndex(l => Key(l) == Key(line));
                if (same < 0) lines.Add(line);
                else lines[same] = lines[same] with { Endpoints = lines[same].Endpoints.AddRange(line.Endpoints) };
            }
            if (lines.Count == 0)
            {
                lines.Add(new TlsCheckRow(target.Hostname, target.Port.Port, "-", "no endpoints", "-", "-", false, [],
                    $"Service {target.Namespace}/{target.Service.Metadata.Name} selects no workload, so there is nothing to connect to."));
            }
            rows.AddRange(lines);
        }
        return rows.ToImmutable();
    }

    private static (string, string, string, string, string) Key(TlsCheckRow row) => (row.ServerMode, row.ServerSource, row.ClientTls, row.ClientSource, row.Reason);

    private static TlsCheckRow Endpoint(MeshState mesh, Workload client, ServiceTarget target, Workload server, int port)
    {
        InboundTlsMode? mode = null;
        string serverMode = TrafficExplainer.NoSidecar, serverSource = "no sidecar";
        if (server.HasSidecar)
        {
            var decision = InboundMtls.Effective(mesh, server, port);
            mode = decision.Mode;
            (serverMode, serverSource) = (InboundMtls.Text(decision.Mode), decision.Source);
        }
        UpstreamTlsMode? upstream = null;
        string clientTls = TrafficExplainer.NoSidecar, clientSource = "no sidecar";
        if (client.HasSidecar)
        {
            var decision = ClientTls.Decide(mesh, client.Namespace, target, server, port);
            upstream = decision.Mode;
            (clientTls, clientSource) = (ClientTls.Text(decision.Mode), decision.Source);
        }
        var (conflict, reason) = Agree(upstream, mode, server.HasSidecar, port);
        return new TlsCheckRow(target.Hostname, target.Port.Port, serverMode, serverSource, clientTls, clientSource, conflict, [server.Ref], reason);
    }

    /// <summary>Whether what the client sends is what the server port accepts (ISTIO-SEMANTICS §6), and why.</summary>
    private static (bool Conflict, string Reason) Agree(UpstreamTlsMode? client, InboundTlsMode? server, bool serverSidecar, int port)
    {
        var plaintext = client is null or UpstreamTlsMode.Disable;
        if (plaintext)
        {
            return server == InboundTlsMode.Strict
                ? (true, $"The client sends plaintext, and port {port} is STRICT: it resets the connection.")
                : (false, serverSidecar ? $"The client sends plaintext, which port {port} accepts." : "The client sends plaintext to an application without a sidecar.");
        }
        if (client == UpstreamTlsMode.IstioMutual)
        {
            if (!serverSidecar) return (true, "The client sends Istio mTLS, but the endpoint has no sidecar to answer the handshake.");
            return server == InboundTlsMode.Disable
                ? (true, $"The client sends Istio mTLS, but port {port} is DISABLE and accepts plaintext only.")
                : (false, $"The client sends Istio mTLS, which port {port} accepts.");
        }
        return server == InboundTlsMode.Strict
            ? (true, $"The client originates non-mesh TLS, but port {port} is STRICT and requires a mesh certificate.")
            : (false, "The client originates non-mesh TLS; it works only if the application itself serves TLS.");
    }
}
