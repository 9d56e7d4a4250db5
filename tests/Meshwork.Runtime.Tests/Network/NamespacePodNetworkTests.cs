using System.Diagnostics;
using Meshwork.Runtime.Network;
using Meshwork.Runtime.Processes;

namespace Meshwork.Runtime.Tests.Network;

/// <summary>
/// The pod network on the real kernel: namespaces, veths, bridge, iptables and mount namespaces.
/// It needs root, as the pod network mode does (CI runs as root).
/// </summary>
public sealed class NamespacePodNetworkTests : IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("meshwork-podnet-").FullName;

    public void Dispose()
    {
        NamespacePodNetwork.RemoveLeftovers(MeshNetworkNames.For(_state), _ => { });
        Directory.Delete(_state, recursive: true);
    }

    private static string Run(string tool, params string[] args) => NetworkCommands.Run(tool, args);

    [Fact]
    public async Task Pods_get_their_own_namespace_and_address_route_only_to_the_mesh_and_leave_nothing_behind()
    {
        Assert.True(Posix.IsRoot, "the pod network needs root");
        var rootRulesBefore = Run("iptables-save");
        var names = MeshNetworkNames.For(_state);
        var service = Ipv4Range.Parse("10.96.0.0/12");
        PodNetworkAttachment a, b;
        using (var network = NamespacePodNetwork.Create(_state, service, [], claimInMesh: null, _ => { }))
        {
            a = network.AddPod();
            b = network.AddPod();
            Assert.NotEqual(a.PodIp, b.PodIp);
            Assert.True(network.PodRange.Contains(a.PodIp) && network.PodRange.Contains(b.PodIp));

            var routes = Run("ip", "-n", a.NetworkNamespace!, "-4", "route");
            Assert.DoesNotContain("default", routes, StringComparison.Ordinal);
            Assert.Contains($"{network.PodRange} dev eth0", routes, StringComparison.Ordinal);
            Assert.Contains($"{service} via {network.Gateway}", routes, StringComparison.Ordinal);
            Assert.Equal("0", Run("nsenter", $"--net={a.NamespacePath}", "--", "sysctl", "-n", "net.ipv4.ip_unprivileged_port_start").Trim());

            // A pod reaches another directly (a refused connection is an answer from the other pod's
            // kernel; an unreachable one would time out: curl's 7 against its 28).
            Assert.Equal(7, Curl(a.NamespacePath!, $"http://{b.PodIp}:1/"));
            // A pod reaches the host only at the bridge's address, where the runtime's relay listens.
            using (var listener = new System.Net.Sockets.TcpListener(network.Gateway, 0))
            {
                listener.Start();
                var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
                var accepted = listener.AcceptSocketAsync();
                var curl = Task.Run(() => Curl(a.NamespacePath!, $"http://{network.Gateway}:{port}/", seconds: 2));
                (await accepted.WaitAsync(TimeSpan.FromSeconds(30))).Dispose();
                await curl.WaitAsync(TimeSpan.FromSeconds(30));
            }
            // No other address of the machine: there is no default route.
            Assert.NotEqual(0, Curl(a.NamespacePath!, "http://192.0.2.1:1/", seconds: 2));

            NamespacePodNetwork.ApplyRules(a, IptablesRules.Capture(new CaptureSettings { ProxyUid = 1234 }));
            var podRules = Run("nsenter", $"--net={a.NamespacePath}", "--", "iptables-save", "-t", "nat");
            Assert.Contains("--uid-owner 1234 -j RETURN", podRules, StringComparison.Ordinal);
            Assert.Contains("REDIRECT --to-ports 15006", podRules, StringComparison.Ordinal);
            Assert.Equal(rootRulesBefore, Run("iptables-save"));
        }
        Assert.DoesNotContain(names.NamespacePrefix, Run("ip", "netns", "list"), StringComparison.Ordinal);
        var links = Run("ip", "-o", "link", "show");
        Assert.DoesNotContain(names.Bridge, links, StringComparison.Ordinal);
        Assert.DoesNotContain(names.VethPrefix, links, StringComparison.Ordinal);
        Assert.False(Directory.Exists(names.RunDirectory));
    }

    [Fact]
    public void A_container_sees_its_pods_hosts_file_and_certificates_not_the_state_directory_and_runs_as_its_user()
    {
        Assert.True(Posix.IsRoot, "the pod network needs root");
        File.WriteAllText(Path.Combine(_state, "admin-token"), "secret");
        var pod = Path.Combine(_state, "pods", "foo", "sleep-1");
        var certs = Path.Combine(pod, "etc", "certs");
        Directory.CreateDirectory(certs);
        File.WriteAllText(Path.Combine(pod, "hosts"), "10.96.0.10\thttpbin.foo\n");
        File.WriteAllText(Path.Combine(certs, "cert-chain.pem"), "CHAIN");
        using var network = NamespacePodNetwork.Create(_state, Ipv4Range.Parse("10.96.0.0/12"), [], claimInMesh: null, _ => { });
        var attachment = network.AddPod();
        var sandbox = new ContainerSandbox
        {
            NetworkNamespacePath = attachment.NamespacePath!,
            StateRoot = _state,
            PodDirectory = pod,
            StagingDirectory = Path.Combine(network.Names.RunDirectory, "stage"),
            Uid = 1_000_000_123,
            CertDirectory = certs,
        };
        var script = "id -u; cat /etc/hosts; cat /etc/certs/cert-chain.pem; echo; " +
            $"test -e {ProcessLauncher.ShellQuote(Path.Combine(_state, "admin-token"))} && echo token-visible; ls /etc/passwd >/dev/null && echo etc-kept";
        var (code, output) = RunWrapped(PodSandbox.Wrap(sandbox, ["/bin/sh", "-c", script]));
        Assert.True(code == 0, output);
        var lines = output.Split('\n');
        Assert.Equal("1000000123", lines[0]);
        Assert.Contains("10.96.0.10\thttpbin.foo", lines);
        Assert.Contains("CHAIN", lines);
        Assert.DoesNotContain("token-visible", lines);
        Assert.Contains("etc-kept", lines);
        Assert.False(Directory.Exists("/etc/certs") && File.Exists("/etc/certs/cert-chain.pem"), "nothing is created in the machine's /etc");
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void A_state_directory_and_programs_under_a_private_home_stay_reachable_for_the_pod_and_the_rest_of_that_home_does_not()
    {
        Assert.True(Posix.IsRoot, "the pod network needs root");
        // As /root/.meshwork under a 0700 /root: the pod's user could not pass through the home to its own folder.
        var home = Path.Combine(_state, "home");
        var state = Path.Combine(home, ".meshwork");
        var pod = Path.Combine(state, "pods", "foo", "sleep-1");
        var programs = Path.Combine(home, "repo", "bin");
        Directory.CreateDirectory(pod);
        Directory.CreateDirectory(programs);
        File.SetUnixFileMode(home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(home, "private-note"), "secret");
        File.WriteAllText(Path.Combine(pod, "hosts"), "10.96.0.10\thttpbin.foo\n");
        File.WriteAllText(Path.Combine(pod, "bootstrap-token"), "token");
        var program = Path.Combine(programs, "hello");
        File.WriteAllText(program, "#!/bin/sh\necho hello-from-repo\n");
        File.SetUnixFileMode(program, (UnixFileMode)0b111_101_101);
        Assert.Contains(PodSandbox.Masks(state, [pod, programs]), mask => home == mask || home.StartsWith(mask + "/", StringComparison.Ordinal));
        using var network = NamespacePodNetwork.Create(_state, Ipv4Range.Parse("10.96.0.0/12"), [], claimInMesh: null, _ => { });
        var attachment = network.AddPod();
        var sandbox = new ContainerSandbox
        {
            NetworkNamespacePath = attachment.NamespacePath!,
            StateRoot = state,
            PodDirectory = pod,
            StagingDirectory = Path.Combine(network.Names.RunDirectory, "stage"),
            Uid = 1_000_000_124,
            Programs = [programs],
        };
        var q = ProcessLauncher.ShellQuote;
        var script = $"{q(program)}; ls -d {q(pod)} >/dev/null && echo pod-reachable; " +
            $"test -e {q(Path.Combine(home, "private-note"))} && echo home-visible; exit 0";
        var (code, output) = RunWrapped(PodSandbox.Wrap(sandbox, ["/bin/sh", "-c", script]));
        Assert.True(code == 0, output);
        var lines = output.Split('\n');
        Assert.Contains("hello-from-repo", lines);
        Assert.Contains("pod-reachable", lines);
        Assert.DoesNotContain("home-visible", lines);
    }

    private static int Curl(string namespacePath, string url, int seconds = 10) =>
        NetworkCommands.TryRun("nsenter", [$"--net={namespacePath}", "--", "curl", "-s", "-o", "/dev/null", "-m", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), url], null, out _).ExitCode;

    private static (int Code, string Output) RunWrapped(IReadOnlyList<string> command)
    {
        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var word in command.Skip(1)) info.ArgumentList.Add(word);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)), "the sandboxed command did not finish");
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
