using System.Text.Json.Nodes;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Yaml;

/// <remarks>The Kubernetes kinds' bodies: Service, Deployment, Pod and their probes and statuses.</remarks>
public static partial class ResourceJson
{
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
        Put(o, "nodeName", spec.NodeName);
        Put(o, "nodeSelector", StringMap(spec.NodeSelector));
        return o;
    }

    private static JsonObject NodeSpec(NodeSpec spec)
    {
        var o = new JsonObject();
        Put(o, "podCIDR", spec.PodCidr);
        return o;
    }

    /// <summary>Kubernetes' shape: the address in status.addresses, the heartbeat as the Ready condition's.</summary>
    private static JsonObject NodeStatus(NodeStatus status)
    {
        var o = new JsonObject();
        if (status.InternalIp is { } ip) o["addresses"] = new JsonArray(new JsonObject { ["type"] = "InternalIP", ["address"] = ip });
        if (status.LastHeartbeatTime is { } heartbeat)
        {
            o["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True", ["lastHeartbeatTime"] = Timestamp(heartbeat) });
        }
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
}
