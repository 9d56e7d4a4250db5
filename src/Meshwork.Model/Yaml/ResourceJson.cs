using System.Globalization;
using System.Text.Json.Nodes;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Yaml;

/// <summary>
/// Writes a resource as the Kubernetes-shaped JSON document a user would have written
/// (apiVersion, kind, metadata, spec[, status]). <see cref="ManifestReader.Read"/> reads it back to
/// an equal record: the store and the config API keep this form. Empty and default fields are
/// left out, except where leaving them out would read back differently (an empty selector, an empty
/// trafficPolicy).
/// </summary>
public static partial class ResourceJson
{
    public static string Serialize(Resource resource) => ToJsonObject(resource).ToJsonString();

    /// <summary>The same document as a mutable JSON tree, for callers that add to it (the API's list responses).</summary>
    public static JsonObject ToJsonObject(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var o = new JsonObject
        {
            ["apiVersion"] = resource.ApiVersion,
            ["kind"] = resource.Kind,
            ["metadata"] = Metadata(resource.Metadata),
        };
        switch (resource)
        {
            case ConfigMap cm:
                Put(o, "data", StringMap(cm.Data));
                break;
            case Secret secret:
                o["type"] = secret.Type;
                if (!secret.Data.IsEmpty)
                {
                    var data = new JsonObject();
                    foreach (var (key, value) in secret.Data) data[key] = Convert.ToBase64String(value.AsSpan());
                    o["data"] = data;
                }
                break;
            case Service svc:
                o["spec"] = ServiceSpec(svc.Spec);
                if (!svc.Status.LoadBalancerIngress.IsDefaultOrEmpty)
                {
                    o["status"] = new JsonObject
                    {
                        ["loadBalancer"] = new JsonObject { ["ingress"] = Array(svc.Status.LoadBalancerIngress, ip => new JsonObject { ["ip"] = ip }) },
                    };
                }
                break;
            case Deployment deployment:
                o["spec"] = DeploymentSpec(deployment.Spec);
                if (deployment.Status != new DeploymentStatus()) o["status"] = DeploymentStatus(deployment.Status);
                break;
            case Pod pod:
                o["spec"] = PodSpec(pod.Spec);
                if (pod.Status != new PodStatus()) o["status"] = PodStatus(pod.Status);
                break;
            case PeerAuthentication pa:
                o["spec"] = PeerAuthenticationSpec(pa.Spec);
                break;
            case AuthorizationPolicy ap:
                o["spec"] = AuthorizationPolicySpec(ap.Spec);
                break;
            case DestinationRule dr:
                o["spec"] = DestinationRuleSpec(dr.Spec);
                break;
            case Gateway gw:
                o["spec"] = GatewaySpec(gw.Spec);
                break;
            case VirtualService vs:
                o["spec"] = VirtualServiceSpec(vs.Spec);
                break;
        }
        return o;
    }

    /// <summary>RFC 3339 in UTC, with the fraction only when there is one (as Kubernetes writes it).</summary>
    public static string Timestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    private static JsonObject Metadata(ObjectMeta m)
    {
        var o = new JsonObject { ["name"] = m.Name };
        Put(o, "namespace", m.Namespace);
        Put(o, "labels", StringMap(m.Labels));
        Put(o, "annotations", StringMap(m.Annotations));
        if (m.CreationTimestamp is { } created) o["creationTimestamp"] = Timestamp(created);
        Put(o, "resourceVersion", m.ResourceVersion);
        Put(o, "uid", m.Uid);
        if (m.Generation != 0) o["generation"] = m.Generation;
        return o;
    }

    private static void Put(JsonObject o, string key, JsonNode? value)
    {
        if (value is not null) o[key] = value;
    }

    private static void Put(JsonObject o, string key, string? value)
    {
        if (value is not null) o[key] = value;
    }

    private static JsonObject? StringMap(IReadOnlyDictionary<string, string> map)
    {
        if (map.Count == 0) return null;
        var o = new JsonObject();
        foreach (var (key, value) in map) o[key] = value;
        return o;
    }

    private static JsonArray? Strings(IReadOnlyList<string> values)
    {
        if (values.Count == 0) return null;
        var a = new JsonArray();
        foreach (var v in values) a.Add(v);
        return a;
    }

    private static JsonArray? Array<T>(IReadOnlyList<T> items, Func<T, JsonNode> write)
    {
        if (items.Count == 0) return null;
        var a = new JsonArray();
        foreach (var item in items) a.Add(write(item));
        return a;
    }

    private static JsonObject MatchLabels(LabelSelector selector)
    {
        var o = new JsonObject();
        Put(o, "matchLabels", StringMap(selector.MatchLabels));
        return o;
    }

    private static JsonObject ServiceSpec(ServiceSpec spec)
    {
        var o = new JsonObject();
        Put(o, "selector", StringMap(spec.Selector.MatchLabels));
        Put(o, "ports", Array(spec.Ports, p =>
        {
            var port = new JsonObject();
            Put(port, "name", p.Name);
            port["port"] = p.Port;
            if (p.TargetPort is { Number: { } n }) port["targetPort"] = n;
            else if (p.TargetPort is { Name: { } name }) port["targetPort"] = name;
            if (p.Protocol != "TCP") port["protocol"] = p.Protocol;
            Put(port, "appProtocol", p.AppProtocol);
            return port;
        }));
        if (spec.Type != "ClusterIP") o["type"] = spec.Type;
        if (spec.ClusterIp is { } clusterIp)
        {
            o["clusterIP"] = clusterIp;
            o["clusterIPs"] = new JsonArray(clusterIp);
        }
        return o;
    }

    private static JsonObject DeploymentSpec(DeploymentSpec spec)
    {
        var metadata = new JsonObject();
        Put(metadata, "labels", StringMap(spec.Template.Labels));
        Put(metadata, "annotations", StringMap(spec.Template.Annotations));
        return new JsonObject
        {
            ["replicas"] = spec.Replicas,
            ["selector"] = MatchLabels(spec.Selector),
            ["template"] = new JsonObject { ["metadata"] = metadata, ["spec"] = PodSpec(spec.Template.Spec) },
        };
    }

    private static JsonObject DeploymentStatus(DeploymentStatus s)
    {
        var o = new JsonObject();
        if (s.ObservedGeneration != 0) o["observedGeneration"] = s.ObservedGeneration;
        if (s.Replicas != 0) o["replicas"] = s.Replicas;
        if (s.UpdatedReplicas != 0) o["updatedReplicas"] = s.UpdatedReplicas;
        if (s.ReadyReplicas != 0) o["readyReplicas"] = s.ReadyReplicas;
        if (s.AvailableReplicas != 0) o["availableReplicas"] = s.AvailableReplicas;
        if (s.UnavailableReplicas != 0) o["unavailableReplicas"] = s.UnavailableReplicas;
        return o;
    }

    private static JsonObject PodSpec(PodSpec spec)
    {
        var o = new JsonObject { ["serviceAccountName"] = spec.ServiceAccountName };
        Put(o, "containers", Array(spec.Containers, c =>
        {
            var container = new JsonObject { ["name"] = c.Name };
            Put(container, "image", c.Image);
            Put(container, "command", Strings(c.Command));
            Put(container, "args", Strings(c.Args));
            Put(container, "env", Array(c.Env, e =>
            {
                var env = new JsonObject { ["name"] = e.Name };
                if (e.Value.Length > 0) env["value"] = e.Value;
                return env;
            }));
            Put(container, "ports", Array(c.Ports, p =>
            {
                var port = new JsonObject { ["containerPort"] = p.Port };
                Put(port, "name", p.Name);
                if (p.Protocol != "TCP") port["protocol"] = p.Protocol;
                return port;
            }));
            if (c.ReadinessProbe is { } readiness) container["readinessProbe"] = Probe(readiness);
            if (c.LivenessProbe is { } liveness) container["livenessProbe"] = Probe(liveness);
            return container;
        }));
        return o;
    }

    private static JsonObject Probe(Probe probe)
    {
        var o = new JsonObject();
        if (probe.HttpGet is { } http)
        {
            var get = new JsonObject { ["path"] = http.Path, ["port"] = Port(http.Port), ["scheme"] = http.Scheme };
            Put(get, "httpHeaders", Array(http.HttpHeaders, h => new JsonObject { ["name"] = h.Name, ["value"] = h.Value }));
            o["httpGet"] = get;
        }
        if (probe.TcpSocket is { } tcp) o["tcpSocket"] = new JsonObject { ["port"] = Port(tcp.Port) };
        if (probe.Exec is { } exec) o["exec"] = new JsonObject { ["command"] = Strings(exec.Command) };
        o["initialDelaySeconds"] = probe.InitialDelaySeconds;
        o["periodSeconds"] = probe.PeriodSeconds;
        o["timeoutSeconds"] = probe.TimeoutSeconds;
        o["successThreshold"] = probe.SuccessThreshold;
        o["failureThreshold"] = probe.FailureThreshold;
        return o;
    }

    private static JsonNode Port(IntOrString port) => port.Number is { } n ? JsonValue.Create(n) : JsonValue.Create(port.Name ?? "");

    private static JsonObject PodStatus(PodStatus s)
    {
        var o = new JsonObject { ["phase"] = s.Phase };
        Put(o, "reason", s.Reason);
        Put(o, "podIP", s.PodIP);
        if (s.StartTime is { } start) o["startTime"] = Timestamp(start);
        Put(o, "containerStatuses", Array(s.ContainerStatuses, c => new JsonObject
        {
            ["name"] = c.Name,
            ["ready"] = c.Ready,
            ["restartCount"] = c.RestartCount,
            ["state"] = new JsonObject { [c.State] = new JsonObject() },
        }));
        return o;
    }

    private static string Upper(string enumName) => enumName switch
    {
        "IstioMutual" => "ISTIO_MUTUAL",
        _ => enumName.ToUpperInvariant(),
    };

    private static JsonObject PeerAuthenticationSpec(PeerAuthenticationSpec spec)
    {
        var o = new JsonObject();
        if (spec.Selector is { } selector) o["selector"] = MatchLabels(selector);
        if (spec.Mode != MtlsMode.Unset) o["mtls"] = new JsonObject { ["mode"] = Upper(spec.Mode.ToString()) };
        if (!spec.PortLevelMtls.IsEmpty)
        {
            var ports = new JsonObject();
            foreach (var (port, mode) in spec.PortLevelMtls)
            {
                var entry = new JsonObject();
                if (mode != MtlsMode.Unset) entry["mode"] = Upper(mode.ToString());
                ports[port.ToString(CultureInfo.InvariantCulture)] = entry;
            }
            o["portLevelMtls"] = ports;
        }
        return o;
    }

    private static JsonObject AuthorizationPolicySpec(AuthorizationPolicySpec spec)
    {
        var o = new JsonObject();
        if (spec.Selector is { } selector) o["selector"] = MatchLabels(selector);
        if (spec.Action != AuthorizationAction.Allow) o["action"] = Upper(spec.Action.ToString());
        if (spec.Provider is { } provider) o["provider"] = new JsonObject { ["name"] = provider };
        Put(o, "rules", Array(spec.Rules, r =>
        {
            var rule = new JsonObject();
            Put(rule, "from", Array(r.From, s => new JsonObject { ["source"] = Source(s) }));
            Put(rule, "to", Array(r.To, op => new JsonObject { ["operation"] = Operation(op) }));
            Put(rule, "when", Array(r.When, c =>
            {
                var condition = new JsonObject { ["key"] = c.Key };
                Put(condition, "values", Strings(c.Values));
                Put(condition, "notValues", Strings(c.NotValues));
                return condition;
            }));
            return rule;
        }));
        return o;
    }

    private static JsonObject Source(AuthorizationSource s)
    {
        var o = new JsonObject();
        Put(o, "principals", Strings(s.Principals));
        Put(o, "notPrincipals", Strings(s.NotPrincipals));
        Put(o, "requestPrincipals", Strings(s.RequestPrincipals));
        Put(o, "notRequestPrincipals", Strings(s.NotRequestPrincipals));
        Put(o, "namespaces", Strings(s.Namespaces));
        Put(o, "notNamespaces", Strings(s.NotNamespaces));
        Put(o, "ipBlocks", Strings(s.IpBlocks));
        Put(o, "notIpBlocks", Strings(s.NotIpBlocks));
        Put(o, "remoteIpBlocks", Strings(s.RemoteIpBlocks));
        Put(o, "notRemoteIpBlocks", Strings(s.NotRemoteIpBlocks));
        return o;
    }

    private static JsonObject Operation(AuthorizationOperation op)
    {
        var o = new JsonObject();
        Put(o, "hosts", Strings(op.Hosts));
        Put(o, "notHosts", Strings(op.NotHosts));
        Put(o, "ports", Strings(op.Ports));
        Put(o, "notPorts", Strings(op.NotPorts));
        Put(o, "methods", Strings(op.Methods));
        Put(o, "notMethods", Strings(op.NotMethods));
        Put(o, "paths", Strings(op.Paths));
        Put(o, "notPaths", Strings(op.NotPaths));
        return o;
    }
}
