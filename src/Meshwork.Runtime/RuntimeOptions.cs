using Meshwork.Api;
using Meshwork.Runtime.Network;

namespace Meshwork.Runtime;

public sealed record RuntimeOptions
{
    public required StateDirectory State { get; init; }
    public required IMeshApi Api { get; init; }
    /// <summary>The meshwork binary (sidecars and the network proxy run it; its folder leads the pods' PATH).</summary>
    public required string MeshworkExecutable { get; init; }
    /// <summary>
    /// The control-plane replicas (--server), every one of which the pods' proxies are given; null: the one
    /// control plane of the state directory's server.json.
    /// </summary>
    public Meshwork.ProxyProtocol.ControlPlaneApi.ControlPlaneAddresses? ControlPlane { get; init; }
    /// <summary>
    /// The Node this runtime is (`meshwork node join`): it runs only the replicas placed on it and names itself in
    /// its pods' spec.nodeName. Null: the single-host runtime of `meshwork up`, which runs every replica.
    /// </summary>
    public string? NodeName { get; init; }
    /// <summary>The node's address, where the other nodes reach its pods (its Node's InternalIP).</summary>
    public string? NodeAddress { get; init; }
    /// <summary>Start the network proxy that plays the plain network for pods without a sidecar.</summary>
    public bool NetworkProxy { get; init; } = true;
    /// <summary>Create the istio-ingressgateway (Deployment and LoadBalancer Service in istio-system) when absent.</summary>
    public bool IngressGateway { get; init; }
    public TimeSpan ResyncInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>
    /// How long a replaced or scaled-down pod keeps running once it has left the config API, so that every
    /// proxy has stopped routing to it before it stops: Istio's terminationDrainDuration (5 s), the time a
    /// Kubernetes endpoint removal takes to reach the sidecars before the pod's containers get SIGTERM.
    /// </summary>
    public TimeSpan DrainDuration { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>The pod network mode; null: <see cref="PodNetworkModes.FromEnvironment"/>.</summary>
    public PodNetworkMode? PodNetwork { get; init; }
    public Action<string> Log { get; init; } = line => Console.Error.WriteLine(line);
    /// <summary>Where the pods' and deployments' Kubernetes events go (the config API, for <c>up</c>).</summary>
    public Meshwork.Api.Events.IEventRecorder Events { get; init; } = Meshwork.Api.Events.IEventRecorder.None;
}
