using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Meshwork.Api;
using Meshwork.ProxyProtocol.ControlPlaneApi;

namespace Meshwork.Cli.Tests.Server;

/// <summary>
/// `meshwork proxy` as a sidecar in loopback mode, as the runtime starts one: its own 127.x address,
/// a bootstrap token for foo/httpbin, workload port 8080 in front of <see cref="PlainHttpApp"/>, and
/// the control-plane URL list it is given.
/// </summary>
public sealed record LoopbackSidecar(Process Process, StringBuilder Log, string PodIp, int AdminPort)
{
    public const int WorkloadPort = 8080;

    /// <summary>The workload's port, reached through the sidecar's inbound listener.</summary>
    public string WorkloadUrl => $"http://{PodIp}:{WorkloadPort}/";

    public string ReadyUrl => $"http://{PodIp}:{AdminPort}/ready";

    public static async Task<LoopbackSidecar> StartAsync(ReplicaProcesses mesh, StateDirectory state, string controlPlane, int appPort)
    {
        using var api = MeshApiClient.FromStateDirectory(state, controlPlane);
        var token = await api.CreateBootstrapTokenAsync("foo", "httpbin");
        var directory = Path.Combine(mesh.Work, $"httpbin-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        var tokenFile = Path.Combine(directory, "bootstrap-token");
        await File.WriteAllTextAsync(tokenFile, token.Token);
        var podIp = string.Create(CultureInfo.InvariantCulture, $"127.{Random.Shared.Next(100, 200)}.{Random.Shared.Next(1, 250)}.{Random.Shared.Next(2, 250)}");
        var adminPort = FreePort(podIp);
        var environment = new Dictionary<string, string>
        {
            [ProxyEnvironment.Role] = "sidecar",
            [ProxyEnvironment.ControlPlane] = controlPlane,
            [ProxyEnvironment.ControlPlaneRoot] = state.RootCertFile,
            [ProxyEnvironment.BootstrapTokenFile] = tokenFile,
            [ProxyEnvironment.CertDirectory] = Path.Combine(directory, "certs"),
            [ProxyEnvironment.InboundPorts] = $"{WorkloadPort}=127.0.0.1:{appPort}",
            [ProxyEnvironment.OutboundAddress] = $"{podIp}:{FreePort(podIp)}",
            [ProxyEnvironment.AdminAddress] = $"{podIp}:{adminPort}",
            [ProxyEnvironment.PodLabels] = "{\"app\":\"httpbin\"}",
            [ProxyEnvironment.PodName] = "httpbin-0",
            [ProxyEnvironment.PodNamespace] = "foo",
            [ProxyEnvironment.PodIp] = podIp,
            [ProxyEnvironment.ServiceAccount] = "httpbin",
            [ProxyEnvironment.Workload] = "httpbin",
        };
        var process = mesh.Start(["proxy"], environment, out var log);
        return new LoopbackSidecar(process, log, podIp, adminPort);
    }

    /// <summary>What a plaintext GET got: the status code ("200"), "refused" (the connection was refused or reset,
    /// what STRICT does to plaintext) or "no answer" (nothing within the client's timeout, as on a busy machine).</summary>
    public static async Task<string> ProbeAsync(HttpClient http, string url)
    {
        try
        {
            using var response = await http.GetAsync(url);
            return ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
        }
        catch (HttpRequestException)
        {
            return Refused;
        }
        catch (TaskCanceledException)
        {
            return "no answer";
        }
    }

    public const string Refused = "refused";

    /// <summary>A 127.0.0.0/8 address answers on every address, so a pod can have one of its own without any setup.</summary>
    private static int FreePort(string ip)
    {
        using var listener = new TcpListener(IPAddress.Parse(ip), 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public override string ToString()
    {
        lock (Log) return $"sidecar {PodIp}:\n{Log}";
    }
}
