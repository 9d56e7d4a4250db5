using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Identity;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.Policy.Traffic;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Policy.Why;

/// <summary>
/// Names the first cause a failing call meets, in the order the connection meets them: resolving the
/// host, routing, choosing an endpoint, the two ends' TLS, secure naming, the certificates the
/// proxies really hold, then authorization. The policy decisions come from <see cref="TrafficExplainer"/>
/// (the same ones the control plane pushes); the certificates and the server's refusals come from the
/// proxies, since a call can fail on state no policy shows (an expired or foreign certificate).
/// </summary>
public static class CallDiagnoser
{
    public static CallDiagnosis Diagnose(MeshState mesh, TrafficQuery query, LiveCallState live)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(live);
        var explanation = TrafficExplainer.Explain(mesh, query);
        // The client's sidecar decides first whether it knows the Service at all: routing happens only inside its scope.
        if (ScopeDiagnosis.Find(mesh, query.Client, explanation) is { } scoped)
        {
            return Found(explanation, CallFailureCause.OutOfScope, explanation.Reasons.AddRange(scoped.Evidence), null, scoped.Summary);
        }
        if (explanation.MissingRouteDestination is { } missing)
        {
            return Found(explanation, CallFailureCause.NoRoute, explanation.Reasons, null,
                $"The VirtualService route for {explanation.Service} sends {query.Method} {query.Path} to {missing}, for which the client sidecar has no cluster: it answers 503 (flag NC).");
        }
        if (explanation.Outcome == TrafficOutcome.NoRoute)
        {
            return Found(explanation, CallFailureCause.NoRoute, explanation.Reasons, null,
                $"No route of the VirtualService for {explanation.Service} matches {query.Method} {query.Path}: the client sidecar answers 404.");
        }
        if (explanation.Endpoints.IsEmpty)
        {
            var cause = explanation.ServicePort is null ? CallFailureCause.NoService : CallFailureCause.NoEndpoint;
            var summary = cause == CallFailureCause.NoService
                ? $"{explanation.To} is no Service port the client can resolve from namespace {query.ClientNamespace}."
                : $"{explanation.Service} port {explanation.ServicePort} has no endpoint to send the request to.";
            return Found(explanation, cause, explanation.Reasons, null, summary);
        }
        var unready = explanation.Endpoints
            .Select(e => (Endpoint: e, Why: PodOf(mesh, e.Workload) is { } pod ? PodReadiness.WhyNotReady(pod) : null))
            .Where(u => u.Why is not null)
            .ToList();
        if (unready.Count == explanation.Endpoints.Length)
        {
            return Found(explanation, CallFailureCause.NoHealthyUpstream,
                explanation.Reasons.AddRange(unready.Select(u => new Reason($"Pod {u.Endpoint.Workload} is not ready: {u.Why}."))), null,
                $"{explanation.Service} port {explanation.ServicePort} has {unready.Count} endpoint(s) and none is ready: the client's sidecar has no healthy upstream and answers 503 (flag UH).");
        }
        // A request reaches one ready endpoint; diagnose the first one that fails, or the first one.
        var ready = explanation.Endpoints.Where(e => unready.All(u => u.Endpoint != e)).ToList();
        var endpoint = ready.FirstOrDefault(e => e.Outcome != TrafficOutcome.Ok) ?? ready[0];
        var evidence = endpoint.Reasons.ToBuilder();
        var refused = live.RefusedFromClient.GetValueOrDefault(endpoint.Workload, []);
        foreach (var r in refused)
        {
            evidence.Add(new Reason(string.Create(CultureInfo.InvariantCulture,
                $"Live: the sidecar of {endpoint.Workload} refused {r.Count} connection(s) from {live.ClientAddress} on port {r.Port} (reason {r.Reason}).")));
        }
        var client = explanation.ClientHasSidecar ? "the client's sidecar" : "the client (no sidecar)";
        var mtls = endpoint.ClientTls == ClientTls.Text(UpstreamTlsMode.IstioMutual);

        if (mtls && !endpoint.HasSidecar)
        {
            return Found(explanation, CallFailureCause.PeerNotMeshed, evidence, endpoint,
                $"{Capitalized(client)} starts Istio mTLS ({endpoint.ClientTlsSource}), but {endpoint.Workload} has no sidecar to answer it.");
        }
        if (!mtls && endpoint.ServerMode == InboundMtls.Text(InboundTlsMode.Strict)
            && endpoint.ClientTls is TrafficExplainer.NoSidecar or "DISABLE")
        {
            var sends = endpoint.ClientTls == TrafficExplainer.NoSidecar
                ? "The client is not meshed: it has no sidecar and sends plaintext"
                : $"{Capitalized(client)} sends plaintext ({endpoint.ClientTlsSource} disables TLS)";
            return Found(explanation, CallFailureCause.StrictAgainstPlaintext, evidence, endpoint,
                $"{sends}, and port {endpoint.Port} of {endpoint.Workload} is STRICT ({endpoint.ServerModeSource}): its sidecar resets the connection.");
        }
        if (endpoint.HasSidecar && (mtls ? endpoint.ServerMode == "DISABLE" : endpoint.ClientTls is "SIMPLE" or "MUTUAL"))
        {
            return Found(explanation, CallFailureCause.TlsModeMismatch, evidence, endpoint,
                $"{Capitalized(client)} originates {endpoint.ClientTls} ({endpoint.ClientTlsSource}), which port {endpoint.Port} of {endpoint.Workload} ({endpoint.ServerMode}, {endpoint.ServerModeSource}) cannot accept.");
        }
        if (mtls && endpoint.ServerIdentity is { } presented && !endpoint.AcceptedIdentities.Contains(presented))
        {
            return Found(explanation, CallFailureCause.IdentityMismatch, evidence, endpoint,
                $"{endpoint.Workload} presents {presented}, but {client} accepts only [{string.Join(", ", endpoint.AcceptedIdentities)}] for {explanation.Service}.");
        }
        if (mtls && Certificates(live, endpoint, evidence) is { } certificate)
        {
            return Found(explanation, certificate.Cause, evidence, endpoint, certificate.Summary);
        }
        if (endpoint.Authorization is { Evaluated: true, Decision: "DENY" } authz)
        {
            var by = authz.Policy is null
                ? "no ALLOW policy matches it (implicit deny)"
                : string.Create(CultureInfo.InvariantCulture, $"AuthorizationPolicy {authz.Policy}{(authz.Rule is int rule ? $" rule {rule}" : "")} decides it");
            return Found(explanation, CallFailureCause.AuthorizationDenied, evidence, endpoint,
                $"The sidecar of {endpoint.Workload} denies the request: {by}.") with { Policy = authz.Policy, Rule = authz.Rule };
        }
        if (TransportDiagnosis.Find(live, endpoint, explanation.Service ?? explanation.To, evidence) is { } transport)
        {
            return Found(explanation, transport.Cause, evidence, endpoint, transport.Summary) with { Reporter = transport.Reporter };
        }
        return Found(explanation, CallFailureCause.None, evidence, endpoint,
            endpoint.Outcome == TrafficOutcome.Ok
                ? $"Nothing is wrong: no policy and no certificate the proxies hold stops this call; it should reach {endpoint.Workload} ({endpoint.HttpCode})."
                : $"The call ends {TrafficExplainer.Text(endpoint.Outcome)} ({endpoint.HttpCode}) at {endpoint.Workload}; see the evidence.");
    }

    /// <summary>
    /// The certificates the two sidecars hold, checked as the handshake checks them: each leaf inside its
    /// validity period (RFC 5280 §4.1.2.5) and chaining to the other side's trust bundle (§6).
    /// </summary>
    private static (CallFailureCause Cause, string Summary)? Certificates(LiveCallState live, EndpointExplanation endpoint, ImmutableArray<Reason>.Builder evidence)
    {
        var server = live.Servers.GetValueOrDefault(endpoint.Workload);
        if (live.Client is { } c) evidence.Add(new Reason($"Live: the client's sidecar holds {Describe(c.Leaf)}."));
        if (server is not null) evidence.Add(new Reason($"Live: the sidecar of {endpoint.Workload} holds {Describe(server.Leaf)}."));
        foreach (var (who, held) in new[] { ("the client's sidecar", live.Client), ($"the sidecar of {endpoint.Workload}", server) })
        {
            if (held is null) continue;
            if (live.Now < held.Leaf.NotBefore.ToUniversalTime() || live.Now > held.Leaf.NotAfter.ToUniversalTime())
            {
                var when = live.Now > held.Leaf.NotAfter.ToUniversalTime() ? $"expired at {Stamp(held.Leaf.NotAfter)}" : $"is not valid before {Stamp(held.Leaf.NotBefore)}";
                return (CallFailureCause.ExpiredCertificate, $"The certificate of {who} {when}: the peer refuses the handshake.");
            }
        }
        if (live.Client is { } client && server is not null)
        {
            if (!client.Trust.Verify(server.Leaf, server.Intermediates, live.Now, CertificateUse.TlsServer, out var serverError))
            {
                return (CallFailureCause.UntrustedCertificate,
                    $"The certificate of {endpoint.Workload} (issuer {server.Leaf.Issuer}) does not chain to the client's trust bundle: {serverError}");
            }
            if (!server.Trust.Verify(client.Leaf, client.Intermediates, live.Now, CertificateUse.TlsClient, out var clientError))
            {
                return (CallFailureCause.UntrustedCertificate,
                    $"The client's certificate (issuer {client.Leaf.Issuer}) does not chain to the trust bundle of {endpoint.Workload}: {clientError}");
            }
            // A sidecar accepts peers of its own trust domain only, even when the chain verifies (SPIFFE trust domains).
            if (TrustDomain(client.Leaf) is { } clientDomain && TrustDomain(server.Leaf) is { } serverDomain && clientDomain != serverDomain)
            {
                return (CallFailureCause.UntrustedCertificate,
                    $"The client's certificate is of trust domain {clientDomain}, and the sidecar of {endpoint.Workload} is of trust domain {serverDomain}: each refuses a peer of another trust domain.");
            }
        }
        return null;
    }

    /// <summary>The running pod behind an endpoint ("namespace/pod"); null when the mesh has Deployments only.</summary>
    private static Pod? PodOf(MeshState mesh, string workload) =>
        workload.Split('/', 2) is [var ns, var name]
            ? mesh.Pods.FirstOrDefault(p => (p.Metadata.Namespace ?? "default") == ns && p.Metadata.Name == name)
            : null;

    private static string? TrustDomain(X509Certificate2 leaf) =>
        SpiffeId.TryParse(CertificateIdentity.GetSpiffeUri(leaf), out var id) ? id.TrustDomain : null;

    private static string Describe(X509Certificate2 leaf) =>
        $"{CertificateIdentity.GetSpiffeUri(leaf) ?? leaf.Subject} issued by {leaf.Issuer}, valid until {Stamp(leaf.NotAfter)}";

    private static string Stamp(DateTime time) => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Capitalized(string text) => char.ToUpperInvariant(text[0]) + text[1..];

    private static CallDiagnosis Found(TrafficExplanation explanation, CallFailureCause cause, IEnumerable<Reason> evidence, EndpointExplanation? endpoint, string summary) => new()
    {
        Cause = cause,
        Summary = summary,
        Endpoint = endpoint?.Workload,
        Evidence = [.. evidence],
        Explanation = explanation,
    };
}
