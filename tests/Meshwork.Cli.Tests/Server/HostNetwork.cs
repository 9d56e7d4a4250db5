using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Meshwork.Runtime.Network;

namespace Meshwork.Cli.Tests.Server;

/// <summary>
/// Hosts made of network namespaces, each with its own loopback and one address (10.250.0.N/24) on a bridge that
/// lives in a namespace of its own, the fabric between them; IP forwarding is on inside each host, as on a node that
/// routes its pods. Nothing is created in, or changed of, the machine's own namespace (the veths are made straight
/// in the fabric and the hosts), and every name carries a prefix CI's leak check knows (mwt, mwbr, mwv). Disposing
/// deletes the namespaces, which takes their interfaces and routes with them.
/// </summary>
public sealed class HostNetwork : IDisposable
{
    public sealed record Host(string Name, IPAddress Address)
    {
        public override string ToString() => $"{Name} ({Address})";
    }

    private readonly string _fabric;
    private readonly List<Host> _hosts = [];

    private HostNetwork(string id) => _fabric = $"mwt{id}f";

    public IReadOnlyList<Host> Hosts => _hosts;

    public static HostNetwork Create(int hosts)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))[..5];
        var network = new HostNetwork(id);
        var bridge = $"mwbr{id}";
        try
        {
            NetworkCommands.Run("ip", ["netns", "add", network._fabric]);
            NetworkCommands.Run("ip", ["-n", network._fabric, "link", "add", bridge, "type", "bridge"]);
            NetworkCommands.Run("ip", ["-n", network._fabric, "link", "set", bridge, "up"]);
            for (var n = 1; n <= hosts; n++)
            {
                var host = new Host($"mwt{id}h{n.ToString(CultureInfo.InvariantCulture)}", IPAddress.Parse($"10.250.0.{n.ToString(CultureInfo.InvariantCulture)}"));
                NetworkCommands.Run("ip", ["netns", "add", host.Name]);
                network._hosts.Add(host);
                var veth = $"mwv{id}h{n.ToString(CultureInfo.InvariantCulture)}";
                NetworkCommands.Run("ip", ["link", "add", veth, "netns", network._fabric, "type", "veth", "peer", "name", "eth0", "netns", host.Name]);
                NetworkCommands.Run("ip", ["-n", network._fabric, "link", "set", veth, "master", bridge, "up"]);
                NetworkCommands.Run("ip", ["-n", host.Name, "link", "set", "lo", "up"]);
                NetworkCommands.Run("ip", ["-n", host.Name, "addr", "add", $"{host.Address}/24", "dev", "eth0"]);
                NetworkCommands.Run("ip", ["-n", host.Name, "link", "set", "eth0", "up"]);
                // The host routes between its pods' bridge and the fabric (the node's routes to the other pod ranges).
                NetworkCommands.Run("nsenter", [$"--net={MeshNetworkNames.NamespacePath(host.Name)}", "--", "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]);
            }
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    public override string ToString() => $"hosts {string.Join(", ", _hosts)} on fabric {_fabric}";

    public void Dispose()
    {
        foreach (var host in _hosts) NetworkCommands.TryRun("ip", ["netns", "delete", host.Name], null, out _);
        NetworkCommands.TryRun("ip", ["netns", "delete", _fabric], null, out _);
    }
}
