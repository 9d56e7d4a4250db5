using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Meshwork.Api;
using Meshwork.Identity;
using Meshwork.ProxyProtocol.ControlPlaneApi;

namespace Meshwork.Cli.Commands.Runtime;

/// <summary>
/// <c>meshwork node join</c>: this host runs its share of the mesh's pods (the runtime, its sidecars and its pod
/// network) against a shared control plane, as a Node other hosts see in <c>get nodes</c>.
/// </summary>
internal static partial class NodeCommands
{
    public static Command Create()
    {
        var token = new Option<string?>("--token") { Description = "The mesh's admin token (the admin-token file of a control plane's state directory)" };
        var name = new Option<string?>("--name") { Description = "The node's name (default: this host's name)" };
        var address = new Option<string?>("--address") { Description = "Where the other nodes reach this one (default: the address this host reaches the control plane from)" };
        var rootCert = new Option<string?>("--root-cert") { Description = "The mesh's root certificate (root-cert.pem of a control plane's state directory; default: the one in --state-dir)" };
        var join = new Command("join", "Run this host's pods against a shared control plane (--server URL[,URL...]) as a node of the mesh, until Ctrl+C or SIGTERM")
        {
            token, name, address, rootCert,
        };
        join.SetAction(async (parse, cancellationToken) =>
        {
            var state = GlobalOptions.ResolveStateDirectory(parse);
            var server = parse.GetValue(GlobalOptions.Server);
            if (!ControlPlaneAddresses.TryParse(server, out var replicas, out var problem))
            {
                Console.Error.WriteLine($"error: --server: {problem} (give the control plane's replicas: --server https://10.0.0.1:15443,https://10.0.0.2:15443)");
                return 1;
            }
            var nodeName = (parse.GetValue(name) ?? Environment.MachineName).ToLowerInvariant();
            if (!NodeNamePattern().IsMatch(nodeName))
            {
                Console.Error.WriteLine($"error: \"{nodeName}\" is not a node name (lowercase letters, digits, '-' and '.', at most 253): choose one with --name");
                return 1;
            }
            if (ResolveAddress(parse.GetValue(address), replicas) is not { } nodeAddress)
            {
                Console.Error.WriteLine($"error: --address \"{parse.GetValue(address)}\" is not an IP address");
                return 1;
            }
            if (Prepare(state, parse.GetValue(token), parse.GetValue(rootCert)) is { } error)
            {
                Console.Error.WriteLine($"error: {error}");
                return 1;
            }
            Console.WriteLine($"meshwork: node {nodeName} ({nodeAddress}) joins the mesh of {replicas} (state: {state.Root})");
            return await ForegroundRuntime.RunAsync(state, server, new ForegroundRuntime.NodeIdentity(nodeName, nodeAddress.ToString()), cancellationToken);
        });
        return new Command("node", "This host as a node of a mesh whose control plane runs elsewhere") { join };
    }

    /// <summary>Writes the admin token (0600) and the mesh root into the node's state directory; the reason when it cannot.</summary>
    private static string? Prepare(StateDirectory state, string? token, string? rootCert)
    {
        Directory.CreateDirectory(state.Root);
        if (rootCert is not null)
        {
            var roots = new X509Certificate2Collection();
            try
            {
                roots.ImportFromPemFile(rootCert);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                return $"--root-cert {rootCert}: {e.Message}";
            }
            if (roots.Count == 0) return $"--root-cert {rootCert} holds no certificate";
            AtomicFile.WriteAllText(state.RootCertFile, File.ReadAllText(rootCert), AtomicFile.Public);
        }
        else if (!File.Exists(state.RootCertFile))
        {
            return $"--root-cert: the mesh's root certificate (root-cert.pem of a control plane's state directory; none in {state.Root} yet)";
        }
        if (token is not null)
        {
            token = token.Trim();
            if (token.Length == 0 || token.Any(char.IsWhiteSpace)) return "--token must be the admin token, one word";
            AtomicFile.WriteAllText(state.AdminTokenFile, token + "\n", AtomicFile.Private);
        }
        else if (!File.Exists(state.AdminTokenFile))
        {
            return $"--token: the mesh's admin token (none in {state.Root} yet)";
        }
        return null;
    }

    /// <summary>
    /// The given address, else the one this host would send from towards the first replica: a UDP socket's connect
    /// only asks the routing table and sends nothing.
    /// </summary>
    private static IPAddress? ResolveAddress(string? given, ControlPlaneAddresses replicas)
    {
        if (given is not null) return IPAddress.TryParse(given, out var parsed) ? parsed : null;
        var host = replicas.First.Host.Trim('[', ']');
        try
        {
            var target = IPAddress.TryParse(host, out var ip) ? ip : Dns.GetHostAddresses(host).First(a => a.AddressFamily == AddressFamily.InterNetwork);
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            probe.Connect(new IPEndPoint(target, replicas.First.Port));
            return ((IPEndPoint)probe.LocalEndPoint!).Address;
        }
        catch (Exception e) when (e is SocketException or InvalidOperationException)
        {
            return IPAddress.Loopback;
        }
    }

    [GeneratedRegex("^(?=.{1,253}$)[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")]
    private static partial Regex NodeNamePattern();
}
