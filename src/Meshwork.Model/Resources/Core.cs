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
}

public sealed record Secret : Resource
{
    public override string Kind => "Secret";
    public string Type { get; init; } = "Opaque";
    /// <summary>Decoded values of <c>data</c> (base64 in the document) merged with <c>stringData</c>.</summary>
    public ImmutableSortedDictionary<string, ImmutableArray<byte>> Data { get; init; } = ImmutableSortedDictionary<string, ImmutableArray<byte>>.Empty;
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
    public LabelSelector Selector { get; init; } = LabelSelector.Empty;
    public ImmutableArray<ServicePort> Ports { get; init; } = [];
    public string Type { get; init; } = "ClusterIP";
}

public sealed record Service : Resource
{
    public override string Kind => "Service";
    public required ServiceSpec Spec { get; init; }
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
}

public sealed record PodSpec
{
    public string ServiceAccountName { get; init; } = "default";
    public ImmutableArray<Container> Containers { get; init; } = [];
}

public sealed record PodTemplate
{
    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public ImmutableSortedDictionary<string, string> Annotations { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public required PodSpec Spec { get; init; }
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
}

public sealed record ContainerStatus
{
    public required string Name { get; init; }
    public bool Ready { get; init; }
    public int RestartCount { get; init; }
    public string State { get; init; } = "waiting";
}
