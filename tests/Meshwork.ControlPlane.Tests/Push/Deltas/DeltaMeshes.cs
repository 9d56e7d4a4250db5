using System.Collections.Immutable;
using System.Text.Json;
using Meshwork.Generation;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;
using static Meshwork.ControlPlane.Tests.Generation.MeshFixtures;

namespace Meshwork.ControlPlane.Tests.Push.Deltas;

/// <summary>
/// A sequence of mesh states that touches every kind of change a delta carries: an inbound mode,
/// endpoints of an outbound service, a service removed and another added.
/// </summary>
internal static class DeltaMeshes
{
    public static readonly ImmutableArray<string> Bundle = ["-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"];

    public static ProxyRegistration Httpbin(bool deltas = true, string? currentVersion = null) => new()
    {
        Role = ProxyRole.Sidecar,
        Namespace = "foo",
        Pod = "httpbin-1",
        Workload = "httpbin",
        ServiceAccount = "httpbin",
        PodIp = "127.0.1.10",
        Labels = Labels(("app", "httpbin"), ("security.istio.io/tlsMode", "istio")),
        Ports = [8080],
        Deltas = deltas,
        CurrentVersion = currentVersion,
    };

    /// <summary>httpbin in foo (the proxy's own workload) and sleep in bar.</summary>
    public static MeshState Initial() => MeshState.From([
        Service("foo", "httpbin", "httpbin", Port(8000, target: IntOrString.Of(8080))),
        Pod("foo", "httpbin-1", "httpbin", "127.0.1.10", serviceAccount: "httpbin", ports: new ContainerPort { Port = 8080 }),
        Service("bar", "sleep", "sleep", Port(80, target: IntOrString.Of(8080))),
        Pod("bar", "sleep-1", "sleep", "127.0.1.20", serviceAccount: "sleep", ports: new ContainerPort { Port = 8080 }),
    ]);

    /// <summary>foo switched to STRICT: only the proxy's inbound port changes.</summary>
    public static MeshState Strict(MeshState mesh) => mesh with
    {
        PeerAuthentications = [new PeerAuthentication
        {
            ApiVersion = "security.istio.io/v1beta1",
            Metadata = Meta("foo", "default"),
            Spec = new PeerAuthenticationSpec { Mode = MtlsMode.Strict },
        }],
    };

    /// <summary>A second httpbin pod: the httpbin outbound service gains an endpoint.</summary>
    public static MeshState SecondPod(MeshState mesh) => mesh with
    {
        Pods = [.. mesh.Pods, Pod("foo", "httpbin-2", "httpbin", "127.0.1.11", serviceAccount: "httpbin", ports: new ContainerPort { Port = 8080 })],
    };

    /// <summary>sleep removed, echo in baz added.</summary>
    public static MeshState SleepReplacedByEcho(MeshState mesh) => mesh with
    {
        Services = [.. mesh.Services.Where(s => s.Metadata.Name != "sleep"), Service("baz", "echo", "echo", Port(9000, target: IntOrString.Of(9000)))],
        Pods = [.. mesh.Pods.Where(p => p.Metadata.Name != "sleep-1"), Pod("baz", "echo-1", "echo", "127.0.1.30", serviceAccount: "echo", ports: new ContainerPort { Port = 9000 })],
    };

    /// <summary>Initial, then each change applied on top of the last.</summary>
    public static ImmutableArray<MeshState> Sequence()
    {
        var initial = Initial();
        var strict = Strict(initial);
        var second = SecondPod(strict);
        return [initial, strict, second, SleepReplacedByEcho(second)];
    }

    public static ProxySnapshot Generate(MeshState mesh, ProxyRegistration? proxy = null, ImmutableArray<string>? bundle = null)
        => SnapshotGenerator.Generate(proxy ?? Httpbin(), mesh, bundle ?? Bundle);

    /// <summary>The snapshot as the protocol serializes it: two snapshots are the same configuration when these are equal.</summary>
    public static string Json(ProxySnapshot snapshot) => JsonSerializer.Serialize(snapshot, ProtocolJson.Indented.ProxySnapshot);
}
