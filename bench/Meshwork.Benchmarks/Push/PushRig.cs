using System.Buffers;
using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshwork.ControlPlane.Hosting;
using Meshwork.ControlPlane.Push;
using Meshwork.ControlPlane.Push.Deltas;
using Meshwork.ControlPlane.Registry;
using Meshwork.Identity;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.Benchmarks.Push;

/// <summary>
/// The control plane's work for one change, for every connected proxy, through the server's own parts and without a
/// network: the pusher generates every snapshot (<see cref="ProxySnapshotFactory"/>, input hash, version), each stream
/// takes its snapshot, diffs it against the one sent before and writes the delta line (<see cref="StreamLines"/>), and
/// each proxy's ACK body is parsed and recorded (<see cref="ProxyRegistry.RecordAck"/>). The mesh is PushBench's: one
/// httpbin Service per namespace with one pod per proxy behind it, plus <c>extraServices</c> Services of one pod each.
/// Changes alternate as PushBench's rounds do: the mesh-wide PeerAuthentication flipped, then a pod added behind ns0's
/// httpbin, which every proxy calls.
/// </summary>
internal sealed class PushRig
{
    private readonly int _proxies;
    private readonly int _namespaces;
    private readonly int _extraServices;
    private readonly InMemoryMeshStateSource _mesh;
    private readonly ProxyRegistry _registry;
    private readonly SnapshotPusher _pusher;
    private readonly List<(ProxyConnection Connection, SpiffeId Identity)> _connections = [];
    private readonly ProxySnapshot?[] _sent;
    private readonly ArrayBufferWriter<byte> _line = new(64 * 1024);
    private bool _strict;
    private int _extraPods;
    private long _nonce;
    private int _changes;

    public PushRig(int proxies, int namespaces, int extraServices)
    {
        (_proxies, _namespaces, _extraServices) = (proxies, namespaces, extraServices);
        _mesh = new InMemoryMeshStateSource(Mesh());
        var options = new PushOptions();
        _registry = new ProxyRegistry(TimeProvider.System, options);
        var bundle = new TrustBundle([Root()]);
        var factory = new ProxySnapshotFactory(() => bundle);
        _pusher = new SnapshotPusher(_mesh, _registry, factory, options, TimeProvider.System, NullLogger<SnapshotPusher>.Instance);
        for (var i = 0; i < proxies; i++)
        {
            var ns = $"ns{i % namespaces}";
            var identity = new SpiffeId("cluster.local", ns, "httpbin");
            var registration = new ProxyRegistration
            {
                Role = ProxyRole.Sidecar, Namespace = ns, Pod = $"httpbin-{i}", Workload = "httpbin", ServiceAccount = "httpbin",
                PodIp = PodIp(i), Labels = Labels("httpbin"), Ports = [8080], Deltas = true,
            };
            _connections.Add((_registry.Connect(registration, identity), identity));
        }
        _sent = new ProxySnapshot?[proxies];
        // The first snapshots (full lines) are not what a change costs: sent here, before anything is counted.
        Deliver();
    }

    public int Proxies => _proxies;

    /// <summary>Bytes allocated and CPU time spent building the changed mesh states: the store's work, not the push's, left out of the counts.</summary>
    public (long Bytes, TimeSpan Cpu) MeshBuild { get; private set; }

    /// <summary>One change (the next of the two kinds), pushed to every proxy and ACKed; returns the bytes of the lines written.</summary>
    public long Change()
    {
        if (_changes++ % 2 == 0) _strict = !_strict;
        else _extraPods++;
        var (bytes, cpu) = (GC.GetTotalAllocatedBytes(precise: true), System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime);
        var next = Mesh();
        MeshBuild = (MeshBuild.Bytes + GC.GetTotalAllocatedBytes(precise: true) - bytes, MeshBuild.Cpu + System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu);
        _mesh.Set(next);
        return Deliver();
    }

    private long Deliver()
    {
        _pusher.PushAll();
        long bytes = 0;
        for (var i = 0; i < _connections.Count; i++)
        {
            var (connection, identity) = _connections[i];
            // The pusher queued a snapshot for every proxy whose version changed: taking it completes at once.
            var task = connection.TakeAsync(TimeSpan.FromSeconds(1), TimeProvider.System, CancellationToken.None);
            if (!task.IsCompleted || task.Result is not { } snapshot) throw new InvalidOperationException($"no snapshot queued for {connection.Id}");
            var nonce = (++_nonce).ToString(System.Globalization.CultureInfo.InvariantCulture);
            _line.ResetWrittenCount();
            if (_sent[i] is { } before && SnapshotDiff.Between(before, snapshot) is { } diff) StreamLines.WriteDelta(_line, nonce, diff);
            else StreamLines.WriteFull(_line, nonce, snapshot);
            bytes += _line.WrittenCount;
            _sent[i] = snapshot;
            // The ACK's bookkeeping (its HTTP request and body are AckCost's to measure, over a real connection).
            var ack = new SnapshotAck { ProxyId = connection.Id, Version = snapshot.Version, Nonce = nonce };
            if (_registry.RecordAck(ack, identity) != AckOutcome.Recorded) throw new InvalidOperationException($"ACK of {connection.Id} not recorded");
        }
        return bytes;
    }

    private MeshState Mesh()
    {
        var resources = new List<Resource>(_proxies + _extraPods + 2 * _extraServices + _namespaces + 1);
        for (var n = 0; n < _namespaces; n++) resources.Add(Service($"ns{n}", "httpbin", "httpbin"));
        for (var i = 0; i < _proxies + _extraPods; i++) resources.Add(Pod(i < _proxies ? $"ns{i % _namespaces}" : "ns0", $"httpbin-{i}", "httpbin", PodIp(i)));
        for (var s = 0; s < _extraServices; s++)
        {
            resources.Add(Service($"ns{s % _namespaces}", $"svc-{s}", $"svc-{s}"));
            resources.Add(Pod($"ns{s % _namespaces}", $"svc-{s}-0", $"svc-{s}", $"127.9.{s / 250}.{s % 250 + 1}"));
        }
        resources.Add(new PeerAuthentication
        {
            ApiVersion = "security.istio.io/v1",
            Metadata = new ObjectMeta { Name = "default", Namespace = "istio-system" },
            Spec = new PeerAuthenticationSpec { Mode = _strict ? MtlsMode.Strict : MtlsMode.Permissive },
        });
        return MeshState.From(resources);
    }

    private static string PodIp(int i) => $"127.1.{i / 250}.{i % 250 + 1}";

    private static ImmutableSortedDictionary<string, string> Labels(string app) => ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal,
        [new KeyValuePair<string, string>("app", app), new("security.istio.io/tlsMode", "istio")]);

    private static Pod Pod(string ns, string name, string app, string address) => new()
    {
        ApiVersion = "v1",
        Metadata = new ObjectMeta { Name = name, Namespace = ns, Labels = Labels(app) },
        Spec = new PodSpec { ServiceAccountName = app, Containers = [new Container { Name = app, Ports = [new ContainerPort { Port = 8080 }] }] },
        Status = new PodStatus { Phase = "Running", PodIP = address, ContainerStatuses = [new ContainerStatus { Name = app, Ready = true }] },
    };

    private static Service Service(string ns, string name, string app) => new()
    {
        ApiVersion = "v1",
        Metadata = new ObjectMeta { Name = name, Namespace = ns },
        Spec = new ServiceSpec
        {
            Selector = new LabelSelector(ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [new KeyValuePair<string, string>("app", app)])),
            Ports = [new ServicePort { Name = "http", Port = 8000, TargetPort = IntOrString.Of(8080) }],
        },
    };

    private static X509Certificate2 Root()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("O=bench root", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var root = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadCertificate(root.Export(X509ContentType.Cert));
    }
}
