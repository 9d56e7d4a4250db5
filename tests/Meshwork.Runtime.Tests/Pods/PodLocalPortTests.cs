using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using Meshwork.Runtime.Pods;

namespace Meshwork.Runtime.Tests.Pods;

/// <summary>Where port-forward connects for a pod's port: the pod's own localhost, never its sidecar's inbound.</summary>
public sealed class PodLocalPortTests
{
    private static ContainerRecord Container(string name, int? pid = null, int? uid = null, params (string Key, string Value)[] environment) => new()
    {
        Name = name,
        Command = ["app"],
        Environment = environment.ToImmutableSortedDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal),
        WorkingDirectory = "/",
        LogFile = "/dev/null",
        Pid = pid,
        Uid = uid,
    };

    private static PodRecord Pod(params ContainerRecord[] containers) => new()
    {
        Namespace = "foo",
        Name = "httpbin-0",
        Deployment = "httpbin",
        TemplateHash = "0",
        PodIp = "127.1.0.5",
        Containers = [.. containers],
    };

    [Fact]
    public void A_pod_network_pod_is_dialled_on_its_own_localhost_through_a_containers_namespace()
    {
        var pod = Pod(Container("httpbin", uid: 2001), Container("istio-proxy", pid: 4321, uid: 1337));

        var local = PodLocalPort.Find(pod, 8080, out var refusal);

        Assert.Null(refusal);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 8080), local!.Target);
        Assert.Equal("/proc/4321/ns/net", local.NamespaceLink);
    }

    [Fact]
    public void A_pod_network_pod_without_a_running_container_is_refused()
    {
        Assert.Null(PodLocalPort.Find(Pod(Container("httpbin", uid: 2001)), 8080, out var refusal));
        Assert.Equal("pod httpbin-0 has no running container", refusal);
    }

    [Fact]
    public void In_the_loopback_mode_a_declared_port_is_where_the_app_listens_behind_its_sidecar()
    {
        var pod = Pod(Container("httpbin", pid: 10, environment: [("HOST", "127.0.0.1"), ("PORT_8080", "41234")]), Container("istio-proxy", pid: 11));

        var local = PodLocalPort.Find(pod, 8080, out _);

        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 41234), local!.Target);
        Assert.Null(local.NamespaceLink);
    }

    [Fact]
    public void In_the_loopback_mode_a_port_no_container_declares_is_the_pods_address()
    {
        var pod = Pod(Container("prometheus", pid: 10, environment: [("HOST", "127.1.0.5"), ("PORT_9090", "9090")]));

        Assert.Equal(new IPEndPoint(IPAddress.Parse("127.1.0.5"), 9090), PodLocalPort.Find(pod, 9090, out _)!.Target);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("127.1.0.5"), 15000), PodLocalPort.Find(pod, 15000, out _)!.Target);
    }

    [Fact]
    public async Task A_namespace_that_is_this_hosts_own_is_never_entered()
    {
        // A container's process id that now names a process outside the pod must not lend the host's localhost.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var local = new PodLocalPort { Target = new IPEndPoint(IPAddress.Loopback, port), NamespaceLink = $"/proc/{Environment.ProcessId}/ns/net" };
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        await Assert.ThrowsAsync<IOException>(() => local.ConnectAsync(bound.Token));
    }

    [Fact]
    public async Task In_the_loopback_mode_the_connection_reaches_the_apps_listener()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var local = new PodLocalPort { Target = (IPEndPoint)listener.LocalEndpoint };
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        using var connected = await local.ConnectAsync(bound.Token);
        using var accepted = await listener.AcceptSocketAsync(bound.Token);
        await connected.SendAsync("ping"u8.ToArray(), SocketFlags.None, bound.Token);
        var buffer = new byte[4];
        Assert.Equal(4, await accepted.ReceiveAsync(buffer, SocketFlags.None, bound.Token));
        Assert.Equal("ping"u8.ToArray(), buffer);
    }
}
