using Meshwork.EndToEnd.Tests.Infrastructure;
using Mw = Meshwork.EndToEnd.Tests.Infrastructure.Meshwork;

namespace Meshwork.EndToEnd.Tests.Scenarios;

/// <remarks>
/// Seed 003's kubectl lines with the machine's real kubectl, through the kubeconfig `meshwork up`
/// writes: the tutorial's curl loop over `kubectl exec` prints its matrix, and after STRICT in foo
/// the legacy client's line is `000` followed by kubectl's `command terminated with exit code 56`.
/// </remarks>
public sealed partial class MtlsMigrationTests
{
    /// <summary>The tutorial's loop, word for word.</summary>
    internal const string CurlLoop =
        """for from in "foo" "bar" "legacy"; do for to in "foo" "bar"; do kubectl exec "$(kubectl get pod -l app=sleep -n ${from} -o jsonpath={.items..metadata.name})" -c sleep -n ${from} -- curl http://httpbin.${to}:8000/ip -s -o /dev/null -w "sleep.${from} to httpbin.${to}: %{http_code}\n"; done; done""";

    [Fact]
    public async Task The_tutorials_curl_loop_over_kubectl_exec_prints_200_then_000_and_exit_code_56_after_strict()
    {
        Assert.True(mesh.Demo.ExitCode == 0, $"{mesh.Demo}\n{mesh.Logs()}");
        string[] permissive =
        [
            "sleep.foo to httpbin.foo: 200", "sleep.foo to httpbin.bar: 200",
            "sleep.bar to httpbin.foo: 200", "sleep.bar to httpbin.bar: 200",
            "sleep.legacy to httpbin.foo: 200", "sleep.legacy to httpbin.bar: 200",
        ];
        await LoopUntilAsync(permissive);

        var strict = Path.Combine(mesh.StatePath, "mtls-ns.yaml");
        await File.WriteAllTextAsync(strict, """
            apiVersion: security.istio.io/v1beta1
            kind: PeerAuthentication
            metadata:
              name: "default"
            spec:
              mtls:
                mode: STRICT
            """);
        var applied = await KubectlAsync("kubectl apply -n foo -f mtls-ns.yaml");
        Assert.True(applied.ExitCode == 0, applied.ToString());
        Assert.Equal("peerauthentication.security.istio.io/default created", applied.Stdout.Trim());
        try
        {
            await LoopUntilAsync(
            [
                "sleep.foo to httpbin.foo: 200", "sleep.foo to httpbin.bar: 200",
                "sleep.bar to httpbin.foo: 200", "sleep.bar to httpbin.bar: 200",
                "sleep.legacy to httpbin.foo: 000", "command terminated with exit code 56",
                "sleep.legacy to httpbin.bar: 200",
            ]);
        }
        finally
        {
            await KubectlAsync("kubectl delete -n foo -f mtls-ns.yaml");
        }
    }

    [Fact]
    public async Task Kubectl_describe_shows_the_events_the_runtime_reported_and_get_lists_the_pods_wide()
    {
        Assert.True(mesh.Demo.ExitCode == 0, $"{mesh.Demo}\n{mesh.Logs()}");
        var pod = await KubectlAsync("kubectl describe pod -l app=sleep -n foo");
        Assert.True(pod.ExitCode == 0, pod.ToString());
        Assert.Matches(@"(?m)^Name:\s+sleep-\S+$", pod.Stdout);
        Assert.Matches(@"(?m)^\s+Normal\s+Scheduled\s+.*default-scheduler\s+Successfully assigned foo/sleep-\S+ to \S+$", pod.Stdout);
        Assert.Matches(@"(?m)^\s+Normal\s+Started\s+.*kubelet\s+Started container sleep$", pod.Stdout);
        Assert.Matches(@"(?m)^\s+Normal\s+Started\s+.*kubelet\s+Started container istio-proxy$", pod.Stdout);

        var deployment = await KubectlAsync("kubectl describe deploy sleep -n foo");
        Assert.True(deployment.ExitCode == 0, deployment.ToString());
        Assert.Matches(@"(?m)^\s+Normal\s+ScalingReplicaSet\s+.*deployment-controller\s+Scaled up replica set sleep-\w+ to 1 from 0$", deployment.Stdout);

        var events = await KubectlAsync("kubectl get events -n foo");
        Assert.True(events.ExitCode == 0, events.ToString());
        Assert.Matches(@"(?m)^\S+\s+Normal\s+Started\s+pod/sleep-\S+\s+Started container sleep$", events.Stdout);

        // The tutorials' kubectl get lines: -o wide with the pod's IP and node, 2/2 READY for a meshed pod.
        var wide = await KubectlAsync("kubectl get pods -n foo -o wide");
        Assert.True(wide.ExitCode == 0, wide.ToString());
        Assert.Matches(@"(?m)^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE", wide.Stdout);
        Assert.Matches(@"(?m)^sleep-\S+\s+2/2\s+Running\s+\d+", wide.Stdout);
    }

    /// <summary>Runs the loop until it prints <paramref name="expected"/> (a policy takes a moment to reach the proxies).</summary>
    private async Task LoopUntilAsync(string[] expected)
    {
        CommandResult last = new(-1, "", "");
        await Mw.EventuallyAsync(async () =>
        {
            last = await KubectlAsync(CurlLoop);
            // The tutorial shows stdout and stderr as one terminal; 2>&1 keeps their order.
            return last.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).SequenceEqual(expected);
        }, Patience, () => Task.FromResult($"expected:\n{string.Join('\n', expected)}\n\nlast run: {last}\n{mesh.Logs()}"));
    }

    /// <summary>A shell line with kubectl configured by the kubeconfig `meshwork up` wrote, run in the state directory.</summary>
    private Task<CommandResult> KubectlAsync(string line)
    {
        var home = Path.Combine(mesh.StatePath, "kubectl-home");
        Directory.CreateDirectory(home);
        var script = $"export KUBECONFIG='{mesh.State.KubeconfigFile}' HOME='{home}'; cd '{mesh.StatePath}'; ( {line} ) 2>&1";
        return Mw.RunProcessAsync("bash", ["-c", script], TimeSpan.FromMinutes(2));
    }
}
