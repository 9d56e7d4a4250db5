using System.Text.Json;
using System.Text.Json.Serialization;

namespace Meshwork.ControlPlane.Hosting.Status;

/// <summary>What <c>meshwork status</c> shows: the store's health, every replica of the control plane and every node of the mesh.</summary>
public sealed record ControlPlaneStatus(string Replica, bool Ready, StoreStatus Store, ReplicaStatus[] Replicas, NodeSummary[] Nodes)
{
    public const string Path = "/meshwork/v1/status";
}

/// <summary>The store as the answering replica sees it now.</summary>
public sealed record StoreStatus(string Backend, string Location, bool Reachable, string? Problem);

/// <summary>One replica as its last heartbeat left it (the answering replica is <see cref="Self"/>).</summary>
public sealed record ReplicaStatus(string Id, string Url, string Host, int Pid, DateTimeOffset StartedAt, double HeartbeatAgeSeconds, int ConnectedProxies, bool Leader, bool Self);

/// <summary>
/// One node (<c>meshwork node join</c>) as its Node object says: Ready while its heartbeat is recent, its pod range and
/// address, and how many pods name it in spec.nodeName.
/// </summary>
public sealed record NodeSummary(string Name, bool Ready, string? PodCidr, string? InternalIp, double? HeartbeatAgeSeconds, int Pods);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ControlPlaneStatus))]
public sealed partial class StatusJson : JsonSerializerContext;
