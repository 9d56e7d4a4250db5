using System.Collections.Immutable;
using System.Text.Json;
using CsCheck;
using Meshwork.ControlPlane.Push.Deltas;
using Meshwork.Generation.Hashing;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.ControlPlane.Tests.Push.Deltas;

/// <summary>
/// For any two snapshots in canonical order, the delta the server computes between them, written as the
/// stream's line and read back, turns the first into the second, element for element; and the applier
/// refuses what no server sends rather than guessing.
/// </summary>
public sealed class DeltaApplierPropertyTests
{
    private static readonly string[] Namespaces = ["a", "b", "c"];
    private static readonly string[] Names = ["echo", "httpbin", "sleep"];
    private static readonly int[] InboundPorts = [80, 443, 8000, 9080];
    private static readonly string[] Pods = ["127.1.0.1", "127.1.0.2", "127.1.0.3", "fd00::4", "fd00::5"];

    private static readonly Gen<UpstreamEndpoint> Endpoint =
        Gen.Select(Gen.OneOf(Pods), Gen.OneOf(8000, 8080), Gen.Enum<UpstreamTlsMode>(),
            (address, port, tls) => new UpstreamEndpoint { Address = address, Port = port, Tls = tls, Pod = "pod-" + address });

    /// <summary>Endpoints with distinct keys, in a random order (generation lists them as the registry does).</summary>
    private static readonly Gen<ImmutableArray<UpstreamEndpoint>> Endpoints =
        Endpoint.Array[0, 6].Select(all => all.DistinctBy(SnapshotParts.EndpointKey).ToImmutableArray());

    private static readonly Gen<OutboundService> Service =
        Gen.Select(Gen.OneOf(Namespaces), Gen.OneOf(Names), Endpoints, Endpoints, Gen.Enum<UpstreamTlsMode>(),
            (ns, name, endpoints, subset, tls) => new OutboundService
            {
                Name = name,
                Namespace = ns,
                Hostname = $"{name}.{ns}.svc.cluster.local",
                Ports =
                [
                    new OutboundPort
                    {
                        Port = 8000,
                        Protocol = tls == UpstreamTlsMode.Disable ? "tcp" : "http",
                        Endpoints = endpoints,
                        Subsets = [new OutboundSubset { Name = "v1", Endpoints = subset }],
                    },
                ],
            });

    private static readonly Gen<InboundPort> Inbound =
        Gen.Select(Gen.OneOf(InboundPorts), Gen.Enum<InboundTlsMode>(),
            (port, mode) => new InboundPort { Port = port, Protocol = "http", Mode = mode, ModeSource = $"mode {mode}" });

    private static readonly Gen<ProxySnapshot> Snapshot =
        Gen.Select(Inbound.Array[0, 4], Service.Array[0, 9], Gen.Bool, (inbound, outbound, rotated) => Versioned(new ProxySnapshot
        {
            Version = "",
            Node = new ProxyNode { Id = "httpbin-1.foo", Role = ProxyRole.Sidecar, Namespace = "foo", Workload = "httpbin" },
            Inbound = [.. inbound.DistinctBy(SnapshotParts.InboundKey).Order(Comparer<InboundPort>.Create(SnapshotParts.CompareInbound))],
            Outbound = [.. outbound.DistinctBy(SnapshotParts.OutboundKey).Order(Comparer<OutboundService>.Create(SnapshotParts.CompareOutbound))],
            TrustBundle = rotated ? ["root-1", "root-2"] : ["root-1"],
        }));

    [Fact]
    public void A_delta_read_from_its_line_turns_any_snapshot_into_any_other_exactly_as_the_full_snapshot_would()
    {
        Gen.Select(Snapshot, Snapshot).Sample((running, target) =>
        {
            var diff = SnapshotDiff.Between(running, target) ?? throw new InvalidOperationException("no delta between two canonical snapshots");
            var line = JsonSerializer.Deserialize(StreamLines.Delta("1", diff), ProtocolJson.Default.SnapshotUpdate)!;
            var applied = SnapshotDeltaApplier.Apply(running, line.Delta!, out var error);
            return error is null && applied is not null && Json(applied) == Json(target);
        }, iter: 2_000);
    }

    [Fact]
    public void A_delta_whose_updated_services_are_out_of_order_is_refused()
    {
        var running = Versioned(new ProxySnapshot { Version = "", Node = Node(), Outbound = [Outbound("a", "echo")] });
        var delta = new SnapshotDelta { BaseVersion = running.Version, Version = "next", Outbound = [Outbound("c", "sleep"), Outbound("b", "httpbin")] };

        var applied = SnapshotDeltaApplier.Apply(running, delta, out var error);

        Assert.Null(applied);
        Assert.Contains("canonical order", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_delta_that_removes_a_service_twice_or_one_the_proxy_lacks_is_refused()
    {
        var running = Versioned(new ProxySnapshot { Version = "", Node = Node(), Outbound = [Outbound("a", "echo"), Outbound("b", "httpbin")] });
        var twice = new SnapshotDelta { BaseVersion = running.Version, Version = "next", OutboundRemoved = ["echo.a.svc.cluster.local", "echo.a.svc.cluster.local"] };
        var lacking = new SnapshotDelta { BaseVersion = running.Version, Version = "next", OutboundRemoved = ["echo.a.svc.cluster.local", "sleep.c.svc.cluster.local"] };

        Assert.Null(SnapshotDeltaApplier.Apply(running, twice, out var twiceError));
        Assert.Contains("twice", twiceError, StringComparison.Ordinal);
        Assert.Null(SnapshotDeltaApplier.Apply(running, lacking, out var lackingError));
        Assert.Contains("'sleep.c.svc.cluster.local', which this proxy does not have", lackingError, StringComparison.Ordinal);
    }

    [Fact]
    public void An_IPv6_endpoint_is_removed_by_its_key_and_a_key_written_another_way_is_not_found()
    {
        var endpoints = ImmutableArray.Create(
            new UpstreamEndpoint { Address = "fd00::4", Port = 8000, Tls = UpstreamTlsMode.IstioMutual },
            new UpstreamEndpoint { Address = "fd00::5", Port = 8000, Tls = UpstreamTlsMode.IstioMutual });

        var edited = EndpointPatchApplier.Edit(endpoints, Patch("fd00::4:8000"), out var error);
        var misspelled = EndpointPatchApplier.Edit(endpoints, Patch("fd00::4:08000"), out var misspelledError);

        Assert.Null(error);
        Assert.Equal("fd00::5", Assert.Single(edited).Address);
        Assert.True(misspelled.IsDefault);
        Assert.Contains("fd00::4:08000", misspelledError, StringComparison.Ordinal);
    }

    private static EndpointPatch Patch(string removed) => new() { Hostname = "echo.a.svc.cluster.local", Port = 8000, Removed = [removed], Added = [] };

    private static ProxyNode Node() => new() { Id = "httpbin-1.foo", Role = ProxyRole.Sidecar, Namespace = "foo", Workload = "httpbin" };

    private static OutboundService Outbound(string ns, string name) => new() { Name = name, Namespace = ns, Hostname = $"{name}.{ns}.svc.cluster.local" };

    private static ProxySnapshot Versioned(ProxySnapshot snapshot) => snapshot with { Version = SnapshotVersion.Compute(snapshot) };

    private static string Json(ProxySnapshot snapshot) => JsonSerializer.Serialize(snapshot, ProtocolJson.Default.ProxySnapshot);
}
