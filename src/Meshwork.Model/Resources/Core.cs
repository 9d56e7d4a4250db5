using System.Collections.Immutable;

namespace Meshwork.Model.Resources;

public sealed record Namespace : Resource
{
    public override string Kind => "Namespace";
    public override bool IsNamespaced => false;
}

public sealed record ServiceAccount : Resource
{
    public override string Kind => "ServiceAccount";
}

public sealed record ConfigMap : Resource
{
    public override string Kind => "ConfigMap";
    public ImmutableSortedDictionary<string, string> Data { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    public bool Equals(ConfigMap? other) => base.Equals(other) && Equality.Map(Data, other!.Data);

    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Equality.Hash(Data));
}

public sealed record Secret : Resource
{
    public override string Kind => "Secret";
    public string Type { get; init; } = "Opaque";
    /// <summary>Decoded values of <c>data</c> (base64 in the document) merged with <c>stringData</c>.</summary>
    public ImmutableSortedDictionary<string, ImmutableArray<byte>> Data { get; init; } = ImmutableSortedDictionary<string, ImmutableArray<byte>>.Empty;

    public bool Equals(Secret? other) => base.Equals(other) && Type == other!.Type && Equality.Bytes(Data, other.Data);

    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Type, Equality.Hash(Data));
}

/// <summary>A Service port. TargetPort is a number or a named container port; when absent it equals Port.</summary>
public sealed record ServicePort
{
    public string? Name { get; init; }
    public required int Port { get; init; }
    public IntOrString? TargetPort { get; init; }
    public string Protocol { get; init; } = "TCP";
    public string? AppProtocol { get; init; }

    /// <summary>Istio's protocol selection: appProtocol first, then the port name prefix (http, http2, grpc, tcp, tls, https, ...).</summary>
    public string MeshProtocol => ProtocolSniffing.FromServicePort(Name, AppProtocol);
}

public sealed record IntOrString
{
    public int? Number { get; init; }
    public string? Name { get; init; }
    public static IntOrString Of(int number) => new() { Number = number };
    public static IntOrString Of(string name) => new() { Name = name };
    public override string ToString() => Number?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Name ?? "";
}

public sealed record ServiceSpec
{
    /// <summary>
    /// The Service range clusterIPs are allocated from: the API server's default
    /// --service-cluster-ip-range. Only pods' own network namespaces route it, so it cannot
    /// collide with the machine's networks.
    /// </summary>
    public const string ClusterIpRange = "10.96.0.0/12";

    public LabelSelector Selector { get; init; } = LabelSelector.Empty;
    public ImmutableArray<ServicePort> Ports { get; init; } = [];
    public string Type { get; init; } = "ClusterIP";
    /// <summary>
    /// The Service's virtual IPv4 address from the mesh's Service range, "None" for a headless
    /// Service, or null until the control plane allocates one on create (as the API server does).
    /// </summary>
    public string? ClusterIp { get; init; }

    /// <summary>Structural: lists and maps compare by content.</summary>
    public bool Equals(ServiceSpec? other) =>
        other is not null
            && Selector == other.Selector
            && Equality.Seq(Ports, other.Ports)
            && Type == other.Type
            && ClusterIp == other.ClusterIp;

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Selector);
        hash.Add(Equality.Hash(Ports));
        hash.Add(Type);
        hash.Add(ClusterIp);
        return hash.ToHashCode();
    }
}

public sealed record Service : Resource
{
    public override string Kind => "Service";
    public required ServiceSpec Spec { get; init; }
    /// <summary>Written by the runtime, never by users: the addresses a LoadBalancer Service is reached at.</summary>
    public ServiceStatus Status { get; init; } = new();
}

/// <summary>status.loadBalancer.ingress[].ip of a LoadBalancer Service.</summary>
public sealed record ServiceStatus
{
    public ImmutableArray<string> LoadBalancerIngress { get; init; } = [];

    /// <summary>Structural: lists and maps compare by content.</summary>
    public bool Equals(ServiceStatus? other) => other is not null && Equality.Seq(LoadBalancerIngress, other.LoadBalancerIngress);

    public override int GetHashCode() => Equality.Hash(LoadBalancerIngress);
}

public sealed record EnvVar(string Name, string Value);

public sealed record ContainerPort
{
    public required int Port { get; init; }
    public string? Name { get; init; }
    public string Protocol { get; init; } = "TCP";
}

public sealed record Container
{
    public required string Name { get; init; }
    public string? Image { get; init; }
    public ImmutableArray<string> Command { get; init; } = [];
    public ImmutableArray<string> Args { get; init; } = [];
    public ImmutableArray<EnvVar> Env { get; init; } = [];
    public ImmutableArray<ContainerPort> Ports { get; init; } = [];
    public Probe? ReadinessProbe { get; init; }
    public Probe? LivenessProbe { get; init; }

    /// <summary>Structural: lists and maps compare by content.</summary>
    public bool Equals(Container? other) =>
        other is not null
            && Name == other.Name
            && Image == other.Image
            && Equality.Seq(Command, other.Command)
            && Equality.Seq(Args, other.Args)
            && Equality.Seq(Env, other.Env)
            && Equality.Seq(Ports, other.Ports)
            && Equals(ReadinessProbe, other.ReadinessProbe)
            && Equals(LivenessProbe, other.LivenessProbe);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Name);
        hash.Add(Image);
        hash.Add(Equality.Hash(Command));
        hash.Add(Equality.Hash(Args));
        hash.Add(Equality.Hash(Env));
        hash.Add(Equality.Hash(Ports));
        hash.Add(ReadinessProbe);
        hash.Add(LivenessProbe);
        return hash.ToHashCode();
    }
}

public sealed record PodSpec
{
    public string ServiceAccountName { get; init; } = "default";
    public ImmutableArray<Container> Containers { get; init; } = [];
    /// <summary>The node the pod runs on: in a template, the one node it may run on; in a Pod, where it was placed.</summary>
    public string? NodeName { get; init; }
    /// <summary>Labels a node must carry to run the pod (<c>kubernetes.io/hostname</c> is the node's name).</summary>
    public ImmutableSortedDictionary<string, string> NodeSelector { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    /// <summary>Structural: lists and maps compare by content.</summary>
    public bool Equals(PodSpec? other) =>
        other is not null
            && ServiceAccountName == other.ServiceAccountName
            && Equality.Seq(Containers, other.Containers)
            && NodeName == other.NodeName
            && Equality.Map(NodeSelector, other.NodeSelector);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(ServiceAccountName);
        hash.Add(Equality.Hash(Containers));
        hash.Add(NodeName);
        hash.Add(Equality.Hash(NodeSelector));
        return hash.ToHashCode();
    }
}

public sealed record PodTemplate
{
    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public ImmutableSortedDictionary<string, string> Annotations { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public required PodSpec Spec { get; init; }

    /// <summary>Structural: lists and maps compare by content.</summary>
    public bool Equals(PodTemplate? other) =>
        other is not null
            && Equality.Map(Labels, other.Labels)
            && Equality.Map(Annotations, other.Annotations)
            && Spec == other.Spec;

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Equality.Hash(Labels));
        hash.Add(Equality.Hash(Annotations));
        hash.Add(Spec);
        return hash.ToHashCode();
    }
}

public sealed record DeploymentSpec
{
    public int Replicas { get; init; } = 1;
    public LabelSelector Selector { get; init; } = LabelSelector.Empty;
    public required PodTemplate Template { get; init; }
}

public sealed record Deployment : Resource
{
    public override string Kind => "Deployment";
    public required DeploymentSpec Spec { get; init; }
    /// <summary>What the runtime last reported; empty until it has run the Deployment.</summary>
    public DeploymentStatus Status { get; init; } = new();
}

/// <summary>Deployment status counters, as Kubernetes reports them (conditions are not kept).</summary>
public sealed record DeploymentStatus
{
    public long ObservedGeneration { get; init; }
    public int Replicas { get; init; }
    public int UpdatedReplicas { get; init; }
    public int ReadyReplicas { get; init; }
    public int AvailableReplicas { get; init; }
    public int UnavailableReplicas { get; init; }
}

/// <summary>A running pod as the local runtime reports it (the runtime is its only writer).</summary>
public sealed record Pod : Resource
{
    public override string Kind => "Pod";
    public required PodSpec Spec { get; init; }
    public PodStatus Status { get; init; } = new();
}

public sealed record PodStatus
{
    /// <summary>Pending, Running, Succeeded, Failed (Kubernetes phases); the CLI prints the reason when set.</summary>
    public string Phase { get; init; } = "Pending";
    public string? Reason { get; init; }
    public string? PodIP { get; init; }
    public DateTimeOffset? StartTime { get; init; }
    public ImmutableArray<ContainerStatus> ContainerStatuses { get; init; } = [];

    /// <summary>Structural: lists and maps compare by content.</summary>
    public bool Equals(PodStatus? other) =>
        other is not null
            && Phase == other.Phase
            && Reason == other.Reason
            && PodIP == other.PodIP
            && StartTime == other.StartTime
            && Equality.Seq(ContainerStatuses, other.ContainerStatuses);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Phase);
        hash.Add(Reason);
        hash.Add(PodIP);
        hash.Add(StartTime);
        hash.Add(Equality.Hash(ContainerStatuses));
        return hash.ToHashCode();
    }
}

public sealed record ContainerStatus
{
    public required string Name { get; init; }
    public bool Ready { get; init; }
    public int RestartCount { get; init; }
    public string State { get; init; } = "waiting";
}
