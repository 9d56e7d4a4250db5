namespace Meshwork.Model.Resources;

/// <summary>
/// A host that runs pods (cluster-scoped, as Kubernetes' v1 Node): `meshwork node join` registers it with the
/// pod range it owns and its address, and renews <see cref="NodeStatus.LastHeartbeatTime"/> while it runs.
/// </summary>
public sealed record Node : Resource
{
    /// <summary>The label every node carries with its name, which a pod template's nodeSelector may name.</summary>
    public const string HostnameLabel = "kubernetes.io/hostname";

    /// <summary>A node whose heartbeat is older than this is gone and its pods are placed elsewhere (Kubernetes' node-monitor-grace-period, 40 s).</summary>
    public static readonly TimeSpan HeartbeatTimeout = TimeSpan.FromSeconds(40);

    public override string Kind => "Node";
    public override bool IsNamespaced => false;
    public NodeSpec Spec { get; init; } = new();
    public NodeStatus Status { get; init; } = new();

    /// <summary>Whether the node's last heartbeat is recent at <paramref name="now"/>.</summary>
    public bool IsReady(DateTimeOffset now) => Status.LastHeartbeatTime is { } at && now - at < HeartbeatTimeout;
}

public sealed record NodeSpec
{
    /// <summary>The /24 the node's pods take their addresses from, unique in the mesh (<c>spec.podCIDR</c>).</summary>
    public string? PodCidr { get; init; }
}

public sealed record NodeStatus
{
    /// <summary>Where the other hosts reach this node's pod range (<c>status.addresses</c>, type InternalIP).</summary>
    public string? InternalIp { get; init; }
    /// <summary>When the node last said it runs (the Ready condition's lastHeartbeatTime).</summary>
    public DateTimeOffset? LastHeartbeatTime { get; init; }
}
