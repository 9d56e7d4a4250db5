using System.CommandLine;
using Meshwork.Api;
using Meshwork.Model.Resources;
using Meshwork.Model.Yaml;
using Meshwork.Runtime;
using Meshwork.Runtime.Manifests;
using Meshwork.Runtime.Pods;
using Meshwork.Samples;
using Meshwork.Cli.Commands.Runtime;

namespace Meshwork.Cli.Commands.Demo;

/// <summary>`meshwork demo mtls-migration`: Istio's mTLS migration task, run for real on this host.</summary>
internal static class DemoCommands
{
    private const string Tutorial = "mtls-migration";
    private static readonly string[] From = ["foo", "bar", "legacy"];
    private static readonly string[] To = ["foo", "bar"];

    public static Command Demo()
    {
        var port = new Option<int?>("--port") { Description = "Port of the control plane when it has to be started (0: any free port)" };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for workloads and for each policy to take effect", DefaultValueFactory = _ => 60 };
        var migration = new Command(Tutorial, "Bring up foo, bar (sidecars) and legacy (none), and show which calls succeed as mTLS is locked down")
        {
            port, timeout,
        };
        migration.SetAction(async (parse, cancellationToken) =>
        {
            var state = GlobalOptions.ResolveStateDirectory(parse);
            try
            {
                return await RunMigrationAsync(state, parse.GetValue(GlobalOptions.Server), parse.GetValue(port),
                    TimeSpan.FromSeconds(parse.GetValue(timeout)), cancellationToken);
            }
            catch (Exception e) when (e is LocalMeshException or MeshApiException or HttpRequestException or NotSupportedException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return new Command("demo", "Run a tutorial's scenario end to end") { migration, GatewayDemo.Create() };
    }

    private static async Task<int> RunMigrationAsync(StateDirectory state, string? server, int? port, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var output = Console.Out;
        var api = await RuntimeLifecycleCommands.UpAsync(state, server, port, output, cancellationToken);

        // Start from Istio's default (PERMISSIVE) even when an earlier run left policies behind.
        await api.DeleteAsync("PeerAuthentication", "foo", "default", cancellationToken);
        await api.DeleteAsync("PeerAuthentication", "istio-system", "default", cancellationToken);

        output.WriteLine();
        output.WriteLine("## Demo setup: httpbin and sleep with sidecars in foo and bar, sleep without one in legacy");
        var since = DateTimeOffset.UtcNow;
        await ApplyAsync(api, "namespaces.yaml", null, inject: false, cancellationToken);
        foreach (var ns in To)
        {
            await ApplyAsync(api, "httpbin.yaml", ns, inject: true, cancellationToken);
            await ApplyAsync(api, "sleep.yaml", ns, inject: true, cancellationToken);
        }
        await ApplyAsync(api, "sleep.yaml", "legacy", inject: false, cancellationToken);
        string[] workloads = ["foo/httpbin", "foo/sleep", "bar/httpbin", "bar/sleep", "legacy/sleep"];
        if (!await RuntimeLifecycleCommands.WaitForWorkloadsAsync(state, since, workloads, timeout * 3, output, cancellationToken)) return 1;

        var ok = true;
        output.WriteLine();
        output.WriteLine("## All requests succeed (PERMISSIVE: mTLS between sidecars, plaintext from legacy)");
        ok &= await MatrixAsync(state, Expect(legacyToFoo: "200", legacyToBar: "200"), timeout, output, cancellationToken);

        output.WriteLine();
        output.WriteLine("## Lock down to mutual TLS by namespace: meshwork apply -n foo -f samples/mtls-migration/mtls-ns.yaml");
        await ApplyAsync(api, "mtls-ns.yaml", "foo", inject: false, cancellationToken);
        ok &= await MatrixAsync(state, Expect(legacyToFoo: "000", legacyToBar: "200"), timeout, output, cancellationToken);

        output.WriteLine();
        output.WriteLine("## Lock down mutual TLS for the entire mesh: meshwork apply -f samples/mtls-migration/mtls-global.yaml");
        await ApplyAsync(api, "mtls-global.yaml", "istio-system", inject: false, cancellationToken);
        ok &= await MatrixAsync(state, Expect(legacyToFoo: "000", legacyToBar: "000"), timeout, output, cancellationToken);

        output.WriteLine();
        output.WriteLine("## Back to PERMISSIVE: meshwork delete peerauthentication default -n foo; meshwork delete peerauthentication default -n istio-system");
        await api.DeleteAsync("PeerAuthentication", "foo", "default", cancellationToken);
        await api.DeleteAsync("PeerAuthentication", "istio-system", "default", cancellationToken);
        ok &= await MatrixAsync(state, Expect(legacyToFoo: "200", legacyToBar: "200"), timeout, output, cancellationToken);

        var stateFlag = state == StateDirectory.Resolve() ? "" : $" --state-dir {state.Root}";
        // Hints a user can paste: "./meshwork" when the repository's launcher ran us, else "meshwork".
        var meshwork = Environment.GetEnvironmentVariable("MESHWORK_INVOKED_AS") is { Length: > 0 } invokedAs ? invokedAs : "meshwork";
        output.WriteLine();
        output.WriteLine("The mesh keeps running. Try:");
        output.WriteLine($"  {meshwork}{stateFlag} get pods -A");
        output.WriteLine($"  {meshwork}{stateFlag} exec -n foo deploy/sleep -- curl -s http://httpbin.bar:8000/headers     # X-Forwarded-Client-Cert names the caller");
        output.WriteLine($"  {meshwork}{stateFlag} apply -n foo -f samples/mtls-migration/mtls-ns.yaml");
        output.WriteLine($"  {meshwork}{stateFlag} exec -n legacy deploy/sleep -- curl -s http://httpbin.foo:8000/ip");
        output.WriteLine($"  {meshwork}{stateFlag} proxy-config secret deploy/httpbin -n foo");
        output.WriteLine($"  {meshwork}{stateFlag} down                                                     # `up` brings it back");
        return ok ? 0 : 1;
    }

    private static Dictionary<(string, string), string> Expect(string legacyToFoo, string legacyToBar)
    {
        var expected = new Dictionary<(string, string), string>();
        foreach (var from in From)
        {
            foreach (var to in To) expected[(from, to)] = "200";
        }
        expected[("legacy", "foo")] = legacyToFoo;
        expected[("legacy", "bar")] = legacyToBar;
        return expected;
    }

    private static Task ApplyAsync(IMeshApi api, string file, string? @namespace, bool inject, CancellationToken cancellationToken)
        => ApplySampleAsync(api, Tutorial, file, @namespace, inject, cancellationToken);

    /// <summary>Applies samples/<paramref name="tutorial"/>/<paramref name="file"/>, injected as `kube-inject` would when <paramref name="inject"/>.</summary>
    internal static async Task ApplySampleAsync(IMeshApi api, string tutorial, string file, string? @namespace, bool inject, CancellationToken cancellationToken)
    {
        var read = ManifestReader.Read(SampleManifests.Read(tutorial, file), $"samples/{tutorial}/{file}", @namespace);
        if (read.HasErrors) throw new LocalMeshException(string.Join('\n', read.Errors));
        IReadOnlyList<Resource> resources = inject ? KubeInject.Inject(read.Resources) : read.Resources;
        await api.ApplyAsync(resources, cancellationToken);
    }

    /// <summary>
    /// Runs the tutorial's loop (curl from each sleep to each httpbin, through `exec` semantics) until
    /// it shows the expected outcome or the timeout passes — a policy takes a moment to reach the
    /// proxies — then prints it as kubectl would.
    /// </summary>
    private static async Task<bool> MatrixAsync(StateDirectory state, Dictionary<(string, string), string> expected, TimeSpan timeout, TextWriter output, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        List<(string Line, int Code, bool Matches)> rows;
        while (true)
        {
            rows = [];
            foreach (var from in From)
            {
                foreach (var to in To)
                {
                    var (line, code) = await CurlAsync(state, from, to, cancellationToken);
                    var status = line.Length >= 3 ? line[^3..] : "";
                    rows.Add((line, code, status == expected[(from, to)]));
                }
            }
            if (rows.All(r => r.Matches) || DateTime.UtcNow > deadline) break;
            await Task.Delay(500, cancellationToken);
        }
        foreach (var (line, code, _) in rows)
        {
            output.WriteLine(line);
            if (code != 0) output.WriteLine($"command terminated with exit code {code}");
        }
        if (!rows.All(r => r.Matches))
        {
            output.WriteLine($"(not the expected outcome after {timeout.TotalSeconds:0}s; see `meshwork proxy-status` and the logs in {state.LogDirectory})");
            return false;
        }
        return true;
    }

    private static async Task<(string Line, int Code)> CurlAsync(StateDirectory state, string from, string to, CancellationToken cancellationToken)
    {
        var pod = PodRecord.Resolve(state, from, "deploy/sleep", out var error);
        var container = pod?.Containers.FirstOrDefault(c => c.Name == "sleep");
        if (container is null) return ($"sleep.{from} to httpbin.{to}: ({error ?? "no sleep container"})", 1);
        var (code, stdout, _) = await PodExec.CaptureAsync(container,
            ["curl", $"http://httpbin.{to}:8000/ip", "-s", "-o", "/dev/null", "--max-time", "10", "-w", $"sleep.{from} to httpbin.{to}: %{{http_code}}\n"],
            cancellationToken);
        return (stdout.TrimEnd('\n'), code);
    }
}
