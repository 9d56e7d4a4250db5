using System.Net;
using System.Net.Sockets;

namespace Meshwork.Runtime.Network;

/// <summary>
/// Hands out one loopback address per pod from 127.1.0.0/16 (all of 127.0.0.0/8 is local on
/// Linux, so no root is needed). An address is only handed out when every port the pod will
/// listen on is free there, so two meshes on one host (a developer's and a test's) do not collide.
/// </summary>
public sealed class LoopbackAddressPool
{
    private readonly object _gate = new();
    private readonly HashSet<IPAddress> _inUse = [];
    private readonly int _start;
    private int _next;

    /// <param name="seed">Spreads different meshes over the range (the state directory's path works well).</param>
    public LoopbackAddressPool(string seed)
    {
        var hash = 17;
        foreach (var c in seed) hash = unchecked(hash * 31 + c);
        // Third octet 1..250 picked by the seed; fourth octet 2..254.
        _start = (int)((uint)hash % 250) * 253;
        _next = _start;
    }

    public IPAddress Allocate(IReadOnlyCollection<int> ports)
    {
        lock (_gate)
        {
            for (var attempt = 0; attempt < 250 * 253; attempt++)
            {
                var index = _next++ % (250 * 253);
                var address = new IPAddress([127, 1, (byte)(index / 253 + 1), (byte)(index % 253 + 2)]);
                if (_inUse.Contains(address) || !PortsAreFree(address, ports)) continue;
                _inUse.Add(address);
                return address;
            }
        }
        throw new InvalidOperationException("no free loopback address left in 127.1.0.0/16");
    }

    public void Release(IPAddress address)
    {
        lock (_gate) _inUse.Remove(address);
    }

    /// <summary>True when nothing listens on any of <paramref name="ports"/> at <paramref name="address"/>.</summary>
    public static bool PortsAreFree(IPAddress address, IEnumerable<int> ports)
    {
        foreach (var port in ports)
        {
            try
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(address, port));
            }
            catch (SocketException)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>A free TCP port on 127.0.0.1, picked by the kernel.</summary>
    public static int FreePort(IPAddress? address = null)
    {
        using var listener = new TcpListener(address ?? IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
