using System.Net;
using System.Net.Sockets;
using Meshwork.Api;
using Meshwork.Runtime.Network;
using Meshwork.Runtime.Pods;

namespace Meshwork.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A client of this test process that sits inside a pod (the pod network mode): its sockets are made in the pod's
/// network namespace, so the pod's capture rules and Service translation apply to them as to the pod's own
/// processes, and names resolve from the pod's /etc/hosts. The host itself is no pod: load that a pod would send
/// must come from here.
/// </summary>
public sealed class PodClient
{
    private readonly string _networkNamespace;
    private readonly string _hostsFile;

    private PodClient(string networkNamespace, string hostsFile)
    {
        _networkNamespace = networkNamespace;
        _hostsFile = hostsFile;
    }

    /// <summary>A client in <paramref name="pod"/>, found through the network namespace its first container runs in.</summary>
    public static async Task<PodClient> InAsync(StateDirectory state, PodRecord pod)
    {
        var pid = pod.Containers.Select(c => c.Pid).FirstOrDefault(p => p is not null)
            ?? throw new InvalidOperationException($"pod {pod.Namespace}/{pod.Name} has no running container");
        return new PodClient(await PodPacketCapture.PodNamespaceOfAsync(pid), Path.Combine(state.PodDirectory(pod.Namespace, pod.Name), "hosts"));
    }

    /// <summary>A TCP connection from inside the pod (30 s at most to connect).</summary>
    public async Task<Socket> ConnectAsync(IPEndPoint endPoint)
    {
        using var connect = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await NetworkNamespaceSockets.ConnectAsync(MeshNetworkNames.NamespacePath(_networkNamespace), endPoint, connect.Token);
    }

    /// <summary>An HTTP client handler that connects from inside the pod, with no proxy: as an app of the pod that ignores http_proxy.</summary>
    public SocketsHttpHandler HttpHandler() => new()
    {
        UseProxy = false,
        ConnectCallback = async (context, _) =>
            new NetworkStream(await ConnectAsync(new IPEndPoint(Resolve(context.DnsEndPoint.Host), context.DnsEndPoint.Port)), ownsSocket: true),
    };

    /// <summary>An address, or a name of the pod's /etc/hosts (Services under every name cluster DNS answers).</summary>
    private IPAddress Resolve(string host)
    {
        if (IPAddress.TryParse(host, out var address)) return address;
        foreach (var line in File.ReadLines(_hostsFile))
        {
            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 1 && fields.Skip(1).Contains(host, StringComparer.OrdinalIgnoreCase)) return IPAddress.Parse(fields[0]);
        }
        throw new HttpRequestException($"{host} is not in the pod's hosts file {_hostsFile}");
    }
}
