using System.Diagnostics;
using System.Net;
using System.Text;

namespace Meshwork.Proxy.Tests.Capture;

/// <summary>One pod of a <see cref="PodNetwork"/>: its network namespace and its address on the pod bridge.</summary>
public sealed record PodNamespace(string Netns, string Ip)
{
    public IPAddress Address => IPAddress.Parse(Ip);

    /// <summary>/run/netns/NAME, where the test makes sockets inside the pod.</summary>
    public string NamespacePath => Meshwork.Runtime.Network.MeshNetworkNames.NamespacePath(Netns);
}

/// <summary>
/// Pods as the pod network lays them out, made for one test class and removed after it: a network namespace per pod
/// with its own loopback and one address (10.253.N.x/24) on a bridge that lives in a namespace of its own. Nothing is
/// added to the machine's interfaces, routes or iptables; deleting the namespaces removes every interface and rule.
/// Needs root (CI runs as root); <see cref="SkipReason"/> says why not otherwise.
/// </summary>
public sealed class PodNetwork : IDisposable
{
    private static int _next;
    private readonly string _prefix;
    private readonly string _hub;
    private readonly List<string> _namespaces = [];
    private int _pods;

    /// <summary>The pods' subnet is 10.253.<see cref="Subnet"/>.0/24; the Services' range 10.254.<see cref="Subnet"/>.0/24.</summary>
    public int Subnet { get; }

    public PodNetwork()
    {
        var n = Interlocked.Increment(ref _next);
        _prefix = $"mwt{Environment.ProcessId % 100000}x{n}";
        Subnet = (Environment.ProcessId + n * 37) % 200 + 20;
        _hub = $"{_prefix}-hub";
        AddNamespace(_hub);
        Ip(_hub, "link", "add", "br0", "type", "bridge");
        Ip(_hub, "link", "set", "br0", "up");
    }

    public static string? SkipReason
    {
        get
        {
            if (!OperatingSystem.IsLinux()) return "pod network tests need Linux network namespaces";
            if (!Environment.IsPrivilegedProcess) return "pod network tests need root (ip netns, iptables); CI runs them as root";
            foreach (var tool in new[] { "ip", "iptables" })
                if (!Environment.GetEnvironmentVariable("PATH")!.Split(':').Any(d => File.Exists(Path.Combine(d, tool))))
                    return $"pod network tests need '{tool}' on PATH (apt-get install -y iproute2 iptables)";
            return null;
        }
    }

    public string ServiceIp(int host) => $"10.254.{Subnet}.{host}";

    /// <summary>A pod namespace with loopback up, one address on the bridge, and a route to the Service range only.</summary>
    public PodNamespace AddPod(string name)
    {
        var index = Interlocked.Increment(ref _pods);
        var netns = $"{_prefix}-{name}";
        AddNamespace(netns);
        var hubSide = $"p{index}";
        Run("ip", "link", "add", hubSide, "netns", _hub, "type", "veth", "peer", "name", "eth0", "netns", netns);
        Ip(_hub, "link", "set", hubSide, "master", "br0", "up");
        var ip = $"10.253.{Subnet}.{index + 1}";
        Ip(netns, "link", "set", "lo", "up");
        Ip(netns, "addr", "add", $"{ip}/24", "dev", "eth0");
        Ip(netns, "link", "set", "eth0", "up");
        Ip(netns, "route", "add", $"10.254.{Subnet}.0/24", "dev", "eth0");
        return new PodNamespace(netns, ip);
    }

    /// <summary>
    /// Istio's capture rules (tools/istio-iptables) in the pod: the app's outbound TCP to 15001, inbound TCP to 15006
    /// except the metrics port; the proxy's own traffic (uid 0 here: the proxy runs as root, apps as uid 1000) and
    /// loopback are exempt.
    /// </summary>
    public void Capture(PodNamespace pod)
    {
        Iptables(pod, "-N", "MESH_OUTPUT");
        Iptables(pod, "-A", "OUTPUT", "-p", "tcp", "-j", "MESH_OUTPUT");
        Iptables(pod, "-A", "MESH_OUTPUT", "-m", "owner", "--uid-owner", "0", "-j", "RETURN");
        Iptables(pod, "-A", "MESH_OUTPUT", "-d", "127.0.0.1/32", "-j", "RETURN");
        Iptables(pod, "-A", "MESH_OUTPUT", "-p", "tcp", "-j", "REDIRECT", "--to-ports", "15001");
        Iptables(pod, "-N", "MESH_INBOUND");
        Iptables(pod, "-A", "PREROUTING", "-p", "tcp", "-j", "MESH_INBOUND");
        Iptables(pod, "-A", "MESH_INBOUND", "-p", "tcp", "--dport", "15090", "-j", "RETURN");
        Iptables(pod, "-A", "MESH_INBOUND", "-p", "tcp", "-j", "REDIRECT", "--to-ports", "15006");
    }

    /// <summary>The command prefix that runs a program in the pod as the app's user (uid 1000), whose traffic capture takes.</summary>
    public static string[] AppLauncher(PodNamespace pod) => ["ip", "netns", "exec", pod.Netns, "setpriv", "--reuid=1000", "--regid=1000", "--clear-groups", "--"];

    /// <summary>Runs a command in the pod as the app's user (uid 1000), as an app would; returns exit code and output.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsAppAsync(PodNamespace pod, params string[] command)
    {
        var launcher = AppLauncher(pod);
        var psi = new ProcessStartInfo(launcher[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])[.. launcher.Skip(1), .. command]) psi.ArgumentList.Add(a);
        // The app knows nothing of the mesh: capture, not a proxy setting, brings its traffic to the sidecar.
        foreach (var name in new[] { "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY" }) psi.Environment.Remove(name);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{string.Join(' ', command)} in {pod.Netns} did not finish in 90 s");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// Gives this host an address on the bridge (10.253.N.1), as the runtime's node does, so that a sidecar running in
    /// this test process and a pod reach each other. The host's end of the veth goes when the bridge's namespace does.
    /// </summary>
    public string AttachHost()
    {
        var subnet = $"10.253.{Subnet}.0/24";
        var existing = Run("ip", "-4", "route", "show", subnet).Trim();
        if (existing.Length > 0) throw new InvalidOperationException($"this host already routes {subnet} ({existing}): another pod network uses it");
        var hostSide = $"{_prefix}h";
        Run("ip", "link", "add", hostSide, "type", "veth", "peer", "name", "host", "netns", _hub);
        Ip(_hub, "link", "set", "host", "master", "br0", "up");
        var ip = $"10.253.{Subnet}.1";
        Run("ip", "addr", "add", $"{ip}/24", "dev", hostSide);
        Run("ip", "link", "set", hostSide, "up");
        return ip;
    }

    private void AddNamespace(string netns)
    {
        Run("ip", "netns", "add", netns);
        _namespaces.Add(netns);
    }

    private static void Iptables(PodNamespace pod, params string[] rule) => Ip(pod.Netns, ["-t", "nat", .. rule], "iptables");

    private static void Ip(string netns, params string[] args) => Ip(netns, args, "ip");

    private static void Ip(string netns, string[] args, string tool) => Run("ip", ["netns", "exec", netns, tool, .. args]);

    /// <summary>Runs a tool that must succeed; its standard output.</summary>
    internal static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 60 s");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {stderr.Result}");
        return stdout;
    }

    public void Dispose()
    {
        var errors = new StringBuilder();
        // Deleting a namespace deletes its interfaces (both ends of each veth), its bridge and its iptables rules.
        foreach (var netns in Enumerable.Reverse(_namespaces))
        {
            try { Run("ip", "netns", "del", netns); }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException) { errors.AppendLine(e.Message); }
        }
        if (errors.Length > 0) throw new InvalidOperationException($"pod network cleanup failed: {errors}");
    }
}
