using Meshwork.Model.Resources;
using NodeResource = Meshwork.Model.Resources.Node;

namespace Meshwork.Model.Yaml.Reading;

/// <summary>Reads a v1 Node: the pod range it owns, its InternalIP and its Ready heartbeat (Kubernetes' shape).</summary>
internal static class NodeReader
{
    private static readonly string[] AddressTypes = ["InternalIP", "ExternalIP", "Hostname", "InternalDNS", "ExternalDNS"];

    public static NodeResource Node(MapReader top, string apiVersion, ObjectMeta meta)
    {
        var spec = top.Map("spec");
        var podCidr = spec.String("podCIDR");
        if (podCidr is not null && !System.Net.IPNetwork.TryParse(podCidr, out _))
        {
            spec.Context.Error(spec.Child("podCIDR"), $"invalid podCIDR \"{podCidr}\"", "use an address range such as 10.244.1.0/24");
        }
        spec.Accept("podCIDRs", "providerID");
        spec.Unsupported("unschedulable", "taints", "configSource", "externalID");
        spec.Finish();

        var status = top.Map("status");
        string? internalIp = null;
        foreach (var (type, address) in status.Objects("addresses", Address))
        {
            if (type == "InternalIP") internalIp ??= address;
        }
        DateTimeOffset? heartbeat = null;
        foreach (var condition in status.Objects("conditions", Condition))
        {
            if (condition.Type == "Ready" && condition.Status == "True") heartbeat = condition.Heartbeat;
        }
        status.Accept("capacity", "allocatable", "phase", "daemonEndpoints", "nodeInfo", "images", "volumesInUse", "volumesAttached", "config", "runtimeHandlers", "features");
        status.Finish();
        return new NodeResource
        {
            ApiVersion = apiVersion,
            Metadata = meta,
            Spec = new NodeSpec { PodCidr = podCidr },
            Status = new NodeStatus { InternalIp = internalIp, LastHeartbeatTime = heartbeat },
        };
    }

    private static (string? Type, string? Address) Address(MapReader m)
    {
        var address = (m.EnumString("type", AddressTypes), m.String("address"));
        if (address.Item1 == "InternalIP" && !System.Net.IPAddress.TryParse(address.Item2 ?? "", out _))
        {
            m.Context.Error(m.Child("address"), $"invalid InternalIP \"{address.Item2}\"", "use an IP address such as 10.0.0.2");
        }
        m.Finish();
        return address;
    }

    private static (string? Type, string? Status, DateTimeOffset? Heartbeat) Condition(MapReader m)
    {
        var condition = (m.String("type"), m.String("status"), CoreReaders.Timestamp(m, "lastHeartbeatTime"));
        m.Accept("lastTransitionTime", "reason", "message");
        m.Finish();
        return condition;
    }
}
