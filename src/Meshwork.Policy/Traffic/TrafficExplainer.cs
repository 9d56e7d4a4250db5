using System.Collections.Immutable;
using System.Globalization;
using Meshwork.Model.Mesh;
using Meshwork.ProxyProtocol.Authorization;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Policy.Traffic;

/// <summary>
/// Simulates one request through the decisions the proxies would make (client TLS, server mode, secure
/// naming, authorization) and says what the client observes (ISTIO-SEMANTICS §6), with the reasons.
/// Pure: the same decisions the control plane pushes to proxies, replayed offline.
/// </summary>
public static class TrafficExplainer
{
    public const string NoSidecar = "NONE";

    public static TrafficExplanation Explain(MeshState mesh, TrafficQuery query)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(query);
        var client = query.Client;
        var from = client is null ? $"outside the mesh (namespace {query.ClientNamespace}, no sidecar)" : client.Ref;
        var to = string.Create(CultureInfo.InvariantCulture, $"{query.Host}:{query.Port}");
        var clientHasSidecar = client?.HasSidecar ?? false;
        var clientIdentity = clientHasSidecar ? SecureNaming.IdentityOf(mesh, client!).Uri : null;

        var reasons = ImmutableArray.CreateBuilder<Reason>();
        if (client is null)
        {
            reasons.Add(new Reason("The client is outside the mesh: no sidecar, no identity; it sends plaintext."));
        }
        else
        {
            var because = query.ClientSidecarReason is null ? "" : $" ({query.ClientSidecarReason})";
            reasons.Add(new Reason(client.HasSidecar
                ? $"The client {client.Ref} has a sidecar{because} and the identity {clientIdentity}."
                : $"The client {client.Ref} has no sidecar{because}: it sends plaintext and has no identity."));
        }

        var service = ServiceResolver.ResolveService(mesh, query.ClientNamespace, query.Host);
        if (service is null)
        {
            reasons.Add(new Reason($"No Service answers to \"{query.Host}\" from namespace {query.ClientNamespace} (names resolve as Kubernetes DNS does: name, name.namespace, name.namespace.svc.cluster.local)."));
            return Unavailable(from, to, clientHasSidecar, clientIdentity, reasons, service: null, servicePort: null, protocol: null);
        }
        var target = ServiceResolver.Resolve(mesh, query.ClientNamespace, query.Host, query.Port);
        var fqdn = $"{service.Metadata.Name}.{service.Metadata.Namespace ?? "default"}.{ServiceTarget.ClusterDomain}";
        if (target is null)
        {
            var ports = string.Join(", ", service.Spec.Ports.Select(p => p.Port.ToString(CultureInfo.InvariantCulture)));
            reasons.Add(new Reason($"Service {service.Metadata.Namespace}/{service.Metadata.Name} has no port {query.Port} (it declares {(ports.Length == 0 ? "none" : ports)}).", service.Ref, "spec.ports"));
            return Unavailable(from, to, clientHasSidecar, clientIdentity, reasons, fqdn, null, null);
        }
        reasons.Add(new Reason(
            $"{query.Host}:{query.Port} is Service {target.Namespace}/{service.Metadata.Name} port {target.Port.Port}{(target.Port.Name is null ? "" : $" ({target.Port.Name})")}, protocol {target.Port.MeshProtocol}{(target.IsHttp ? "" : " (TCP: authorization sees connections, not requests)")}.",
            service.Ref, "spec.ports"));

        var endpoints = ServiceResolver.Endpoints(mesh, target);
        string? subset = null;
        if (clientHasSidecar && target.IsHttp)
        {
            // The client sidecar routes first: a VirtualService may send the request to a subset, or nowhere.
            var choice = MeshRouting.Route(mesh, client!.Namespace, target, query.Method, query.Path, query.Headers, query.Port);
            reasons.AddRange(choice.Reasons);
            if (choice.NoMatch) return NoRoute(from, to, clientHasSidecar, clientIdentity, reasons, target);
            if (choice.DestinationHost is { } routed && routed != target.Hostname && ServiceResolver.ResolveService(mesh, client.Namespace, routed) is null)
            {
                reasons.Add(new Reason($"No Service answers to {routed}, where the route sends the request: the client sidecar has no cluster for it (503, flag NC).",
                    choice.VirtualService!.Ref, $"spec.http[{choice.Route}].route"));
                return Unavailable(from, to, clientHasSidecar, clientIdentity, reasons, target.Hostname, target.Port.Port, target.Port.MeshProtocol)
                    with { MissingRouteDestination = routed };
            }
            if (choice.Subset is { } chosen)
            {
                var (selected, subsetReasons) = SubsetEndpoints(mesh, client.Namespace, target, chosen, endpoints);
                reasons.AddRange(subsetReasons);
                if (selected is null)
                {
                    return Unavailable(from, to, clientHasSidecar, clientIdentity, reasons, target.Hostname, target.Port.Port, target.Port.MeshProtocol)
                        with { MissingRouteDestination = $"{target.Hostname} subset {chosen}" };
                }
                endpoints = selected.Value;
                subset = chosen;
            }
        }
        if (endpoints.IsEmpty)
        {
            reasons.Add(new Reason($"Service {target.Namespace}/{service.Metadata.Name} selects no workload with port {DescribeTargetPort(target)}, so there is no endpoint to reach.", service.Ref, "spec.selector"));
            return Unavailable(from, to, clientHasSidecar, clientIdentity, reasons, target.Hostname, target.Port.Port, target.Port.MeshProtocol);
        }

        var explained = ImmutableArray.CreateBuilder<EndpointExplanation>(endpoints.Length);
        foreach (var (workload, port) in endpoints) explained.Add(ExplainEndpoint(mesh, query, target, workload, port, subset));
        var first = explained[0];
        reasons.AddRange(first.Reasons);
        if (explained.Count > 1)
        {
            foreach (var other in explained)
            {
                if (other.Outcome != first.Outcome)
                {
                    reasons.Add(new Reason($"Endpoints differ: {other.Workload} would give {Text(other.Outcome)} ({other.HttpCode}); which one a request reaches depends on load balancing."));
                }
            }
        }
        return new TrafficExplanation
        {
            From = from,
            To = to,
            Service = target.Hostname,
            ServicePort = target.Port.Port,
            Protocol = target.Port.MeshProtocol,
            ClientHasSidecar = clientHasSidecar,
            ClientIdentity = clientIdentity,
            ServerMode = first.ServerMode,
            ServerModeSource = first.ServerModeSource,
            ClientTls = first.ClientTls,
            ClientTlsSource = first.ClientTlsSource,
            Authorization = first.Authorization,
            Outcome = first.Outcome,
            HttpCode = first.HttpCode,
            Reasons = reasons.ToImmutable(),
            Endpoints = explained.MoveToImmutable(),
        };
    }

    private static EndpointExplanation ExplainEndpoint(MeshState mesh, TrafficQuery query, ServiceTarget target, Workload server, int port, string? subset)
    {
        var reasons = ImmutableArray.CreateBuilder<Reason>();
        var client = query.Client;
        var clientHasSidecar = client?.HasSidecar ?? false;
        reasons.Add(new Reason($"The endpoint is {server.Ref}, workload port {port}, service account {server.ServiceAccount}{(server.HasSidecar ? ", with a sidecar" : ", without a sidecar")}."));

        // Server side: the effective inbound mode of the workload port.
        string serverMode, serverModeSource;
        InboundTlsMode? mode = null;
        if (server.HasSidecar)
        {
            var decision = InboundMtls.Effective(mesh, server, port);
            mode = decision.Mode;
            serverMode = InboundMtls.Text(decision.Mode);
            serverModeSource = decision.Source;
            reasons.AddRange(decision.Reasons);
            reasons.Add(new Reason($"So {server.Ref} port {port} is {serverMode} ({serverModeSource})."));
        }
        else
        {
            serverMode = NoSidecar;
            serverModeSource = "no sidecar";
            reasons.Add(new Reason($"{server.Ref} has no sidecar: the application accepts plaintext directly; no mTLS mode or authorization policy is enforced there."));
        }

        // Client side: what its sidecar originates, if it has one.
        string clientTls, clientTlsSource;
        UpstreamTlsMode? upstream = null;
        if (clientHasSidecar)
        {
            var decision = ClientTls.Decide(mesh, client!.Namespace, target, server, port, subset);
            upstream = decision.Mode;
            clientTls = ClientTls.Text(decision.Mode);
            clientTlsSource = decision.Source;
            reasons.AddRange(decision.Reasons);
        }
        else
        {
            clientTls = NoSidecar;
            clientTlsSource = "no sidecar";
            if (DestinationRuleLookup.Find(mesh, query.ClientNamespace, target) is { } ignored)
            {
                reasons.Add(new Reason($"DestinationRule {ignored.Name} covers {target.Hostname}, but only a client sidecar applies DestinationRules; this client sends plaintext.", ignored.Rule.Ref, "spec.trafficPolicy"));
            }
        }

        var notReached = new AuthorizationVerdict { Decision = "ALLOW", Evaluated = false };
        EndpointExplanation Result(TrafficOutcome outcome, int code, AuthorizationVerdict authz, string finalSentence, ImmutableArray<string> accepted = default, string? serverIdentity = null)
        {
            reasons.Add(new Reason(finalSentence));
            return new EndpointExplanation
            {
                Workload = server.Ref,
                Port = port,
                HasSidecar = server.HasSidecar,
                ServerMode = serverMode,
                ServerModeSource = serverModeSource,
                ClientTls = clientTls,
                ClientTlsSource = clientTlsSource,
                ServerIdentity = serverIdentity,
                AcceptedIdentities = accepted.IsDefault ? [] : accepted,
                Authorization = authz,
                Outcome = outcome,
                HttpCode = code,
                Reasons = reasons.ToImmutable(),
            };
        }

        string? principal = null;
        ImmutableArray<string> acceptedIds = default;
        string? serverId = null;
        if (upstream is null or UpstreamTlsMode.Disable)
        {
            var who = clientHasSidecar ? "The client sidecar sends plaintext" : "The client sends plaintext";
            if (!server.HasSidecar)
            {
                return Result(TrafficOutcome.Ok, 200, notReached, $"{who} to an application without a sidecar: the request goes through (200).");
            }
            if (mode == InboundTlsMode.Strict)
            {
                return clientHasSidecar
                    ? Result(TrafficOutcome.Unavailable, 503, notReached, $"{who}, and the STRICT port resets it; the client sidecar answers 503 (upstream connect error or disconnect/reset before headers).")
                    : Result(TrafficOutcome.Reset, 0, notReached, $"{who}, and the STRICT port accepts only mTLS, so it resets the connection (curl: http_code 000, exit code 56).");
            }
            reasons.Add(new Reason($"{who}, which the {serverMode} port accepts; the request has no peer identity."));
        }
        else if (upstream == UpstreamTlsMode.IstioMutual)
        {
            if (!server.HasSidecar)
            {
                return Result(TrafficOutcome.Unavailable, 503, notReached, "The client sidecar starts an Istio mTLS handshake, but the endpoint has no sidecar to answer it: the handshake fails and the client sidecar answers 503.");
            }
            if (mode == InboundTlsMode.Disable)
            {
                return Result(TrafficOutcome.Unavailable, 503, notReached, $"The client sidecar sends mTLS, but port {port} is DISABLE and accepts plaintext only: the handshake fails and the client sidecar answers 503.");
            }
            var (accepted, acceptedSource) = SecureNaming.AcceptedIdentities(mesh, client!.Namespace, target, subset);
            acceptedIds = accepted;
            serverId = SecureNaming.IdentityOf(mesh, server).Uri;
            if (!accepted.Contains(serverId))
            {
                return Result(TrafficOutcome.Unavailable, 503, notReached,
                    $"Secure naming: the server presents {serverId}, but the client accepts only [{string.Join(", ", accepted)}] (from {acceptedSource}); the handshake fails and the client sidecar answers 503.",
                    accepted, serverId);
            }
            reasons.Add(new Reason($"Secure naming: the server presents {serverId}, which the client accepts (from {acceptedSource})."));
            principal = SecureNaming.IdentityOf(mesh, client).Principal;
            reasons.Add(new Reason($"The connection is mutual TLS; the server sees the peer principal {principal}."));
        }
        else
        {
            var tls = ClientTls.Text(upstream.Value);
            var why = !server.HasSidecar
                ? "the endpoint has no sidecar and the application serves plaintext"
                : mode switch
                {
                    InboundTlsMode.Strict => $"port {port} is STRICT and requires a mesh-issued client certificate (ISTIO_MUTUAL)",
                    InboundTlsMode.Disable => $"port {port} is DISABLE and accepts plaintext only",
                    _ => $"port {port} passes non-mesh TLS through to an application that serves plaintext",
                };
            return Result(TrafficOutcome.Unavailable, 503, notReached,
                $"The client sidecar originates {tls} TLS, but {why}: the handshake fails and the client sidecar answers 503 (unless the application itself serves TLS).");
        }

        // The request reached the server sidecar: authorization.
        var resolved = AuthorizationResolver.Resolve(mesh, server, port, target.IsHttp);
        reasons.AddRange(resolved.Reasons);
        var headers = query.Headers;
        var host = headers.TryGetValue("host", out var h) ? h : target.IsHttp && query.Port != 80 ? $"{query.Host}:{query.Port}" : query.Host;
        var request = new AuthzRequest
        {
            IsHttp = target.IsHttp,
            Principal = principal,
            SourceIp = query.SourceIp,
            RemoteIp = query.SourceIp,
            DestinationPort = port,
            Host = target.IsHttp ? host : null,
            Method = target.IsHttp ? query.Method : null,
            // The path as the sidecar's RBAC sees it: no query, percent-decoded.
            Path = target.IsHttp ? AuthzPath.Of(query.Path) : null,
            Header = target.IsHttp ? name => headers.TryGetValue(name, out var v) ? v : name == "host" || name == ":authority" ? host : null : null,
            Sni = upstream == UpstreamTlsMode.IstioMutual ? $"outbound_.{target.Port.Port}_.{subset}_.{target.Hostname}" : null,
        };
        var authz = AuthzEvaluator.Evaluate(resolved.Policies, request);
        var dryRun = ImmutableArray.CreateBuilder<DryRunVerdict>();
        foreach (var d in authz.DryRun)
        {
            var action = d.Action.ToString().ToUpperInvariant();
            dryRun.Add(new DryRunVerdict(d.Policy, action, d.Matched, d.Rule));
            reasons.Add(new Reason(d.Matched
                ? $"Dry-run {action} policy {d.Policy} would match (rule {d.Rule}); it is not enforced."
                : $"Dry-run {action} policy {d.Policy} would not match; it is not enforced."));
        }
        var verdict = new AuthorizationVerdict
        {
            Decision = authz.Allowed ? "ALLOW" : "DENY",
            Policy = authz.Policy,
            Rule = authz.Rule,
            Reason = authz.Reason,
            DryRun = dryRun.ToImmutable(),
        };
        var sentence = char.ToUpperInvariant(authz.Reason[0]) + authz.Reason[1..] + ".";
        if (!authz.Allowed && authz.Policy is null)
        {
            // Implicit deny: say, per ALLOW rule, what kept it from matching.
            foreach (var policy in resolved.Policies)
            {
                if (policy.Action != AuthzAction.Allow || policy.DryRun) continue;
                foreach (var why in RuleMismatch.Explain(policy, request))
                {
                    reasons.Add(new Reason($"Not allowed by {why}.", "AuthorizationPolicy/" + policy.Name, "spec.rules"));
                }
            }
        }
        reasons.Add(new Reason(sentence, authz.Policy is null ? null : "AuthorizationPolicy/" + authz.Policy, authz.Rule is int r ? $"spec.rules[{r}]" : null));
        if (!authz.Allowed)
        {
            return target.IsHttp
                ? Result(TrafficOutcome.Denied, 403, verdict, "The server sidecar answers 403 (RBAC: access denied).", acceptedIds, serverId)
                : Result(TrafficOutcome.Reset, 0, verdict, "The server sidecar closes the TCP connection right after it is accepted.", acceptedIds, serverId);
        }
        return Result(TrafficOutcome.Ok, 200, verdict, "The request reaches the application (200).", acceptedIds, serverId);
    }

    /// <summary>
    /// The endpoints of DestinationRule subset <paramref name="name"/>: those whose labels carry the subset's. Null
    /// (with the reason) when no DestinationRule visible to the client defines it: Envoy has no cluster then (503, flag NC).
    /// </summary>
    private static (ImmutableArray<(Workload Workload, int TargetPort)>? Endpoints, ImmutableArray<Reason> Reasons) SubsetEndpoints(
        MeshState mesh, string clientNamespace, ServiceTarget target, string name, ImmutableArray<(Workload Workload, int TargetPort)> endpoints)
    {
        var rule = DestinationRuleLookup.Find(mesh, clientNamespace, target);
        var subset = rule?.Subsets.FirstOrDefault(s => s.Name == name);
        if (rule is null || subset is null)
        {
            return (null, [new Reason($"No DestinationRule visible from namespace {clientNamespace} defines subset {name} of {target.Hostname}: the client sidecar has no cluster for it (503, flag NC).")]);
        }
        var selected = endpoints.Where(e => subset.Labels.All(l => e.Workload.Labels.GetValueOrDefault(l.Key) == l.Value)).ToImmutableArray();
        var labels = string.Join(",", subset.Labels.Select(l => $"{l.Key}={l.Value}"));
        return (selected, [new Reason($"Subset {name} of DestinationRule {rule.Name} selects the endpoints labelled {labels}: {(selected.IsEmpty ? "none" : string.Join(", ", selected.Select(e => e.Workload.Ref)))}.", rule.Rule.Ref, "spec.subsets")]);
    }

    private static TrafficExplanation NoRoute(string from, string to, bool clientHasSidecar, string? clientIdentity, ImmutableArray<Reason>.Builder reasons, ServiceTarget target) =>
        Unavailable(from, to, clientHasSidecar, clientIdentity, reasons, target.Hostname, target.Port.Port, target.Port.MeshProtocol, noRoute: true);

    private static TrafficExplanation Unavailable(string from, string to, bool clientHasSidecar, string? clientIdentity, ImmutableArray<Reason>.Builder reasons, string? service, int? servicePort, string? protocol, bool noRoute = false)
    {
        if (!noRoute) reasons.Add(new Reason(clientHasSidecar
            ? "The client sidecar has nowhere to send the request and answers 503."
            : "There is nothing to connect to: the request fails (reported as 503, unavailable)."));
        return new TrafficExplanation
        {
            From = from,
            To = to,
            Service = service,
            ServicePort = servicePort,
            Protocol = protocol,
            ClientHasSidecar = clientHasSidecar,
            ClientIdentity = clientIdentity,
            ServerMode = "UNKNOWN",
            ServerModeSource = "no endpoint",
            ClientTls = clientHasSidecar ? "UNKNOWN" : NoSidecar,
            ClientTlsSource = clientHasSidecar ? "no endpoint" : "no sidecar",
            Authorization = new AuthorizationVerdict { Decision = "ALLOW", Evaluated = false },
            Outcome = noRoute ? TrafficOutcome.NoRoute : TrafficOutcome.Unavailable,
            HttpCode = noRoute ? 404 : 503,
            Reasons = reasons.ToImmutable(),
        };
    }

    private static string DescribeTargetPort(ServiceTarget target) => target.Port.TargetPort?.ToString() ?? target.Port.Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>ok, reset, denied, unavailable.</summary>
    public static string Text(TrafficOutcome outcome) => outcome switch
    {
        TrafficOutcome.Reset => "reset",
        TrafficOutcome.Denied => "denied",
        TrafficOutcome.Unavailable => "unavailable",
        TrafficOutcome.NoRoute => "no-route",
        _ => "ok",
    };
}
