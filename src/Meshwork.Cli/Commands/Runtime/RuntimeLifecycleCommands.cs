using System.CommandLine;
using System.Runtime.InteropServices;
using Meshwork.Api;
using Meshwork.Api.Events;
using Meshwork.Cli.Commands.Observability;
using Meshwork.Model.Resources;
using Meshwork.Model.Yaml;
using Meshwork.Runtime;
using Meshwork.Runtime.Network;

namespace Meshwork.Cli.Commands.Runtime;

/// <summary>`meshwork up`, `meshwork down` and the hidden `meshwork runtime` they start.</summary>
internal static class RuntimeLifecycleCommands
{
    public static Command Up()
    {
        var files = new Option<string[]>("--filename", "-f") { Description = "Manifest files or directories to apply once the mesh is up" };
        var port = new Option<int?>("--port") { Description = "Port of the control plane when it has to be started (0: any free port)" };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for the workloads to be ready", DefaultValueFactory = _ => 180 };
        var addons = new Option<string[]>("--addons")
        {
            Description = $"Addons to run in istio-system, comma-separated ({string.Join(", ", AddonInstaller.Known)})",
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("up", "Start the local mesh (control plane and runtime) in the background, apply manifests, and wait for the workloads")
        {
            files, port, timeout, addons,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var state = GlobalOptions.ResolveStateDirectory(parse);
            if (AddonInstaller.Parse(parse.GetValue(addons) ?? [], Console.Error) is not { } addonNames) return 1;
            try
            {
                var api = await UpAsync(state, parse.GetValue(GlobalOptions.Server), parse.GetValue(port), Console.Out, cancellationToken);
                var applied = DateTimeOffset.UtcNow;
                if (addonNames.Count > 0 && !await AddonInstaller.InstallAsync(state, api, addonNames, Console.Out, Console.Error, cancellationToken)) return 1;
                var paths = parse.GetValue(files) ?? [];
                if (paths.Length > 0)
                {
                    var read = ManifestReader.ReadPaths(paths, "default");
                    foreach (var diagnostic in read.Diagnostics) Console.Error.WriteLine(diagnostic);
                    if (read.HasErrors) return 1;
                    if (api is MeshApiClient client)
                    {
                        foreach (var outcome in await client.ApplyWithOutcomesAsync(read.Resources, "default", cancellationToken))
                        {
                            Console.WriteLine($"{Describe(outcome.Resource)} {outcome.Outcome}");
                        }
                    }
                    else
                    {
                        foreach (var resource in await api.ApplyAsync(read.Resources, cancellationToken)) Console.WriteLine($"{Describe(resource)} applied");
                    }
                }
                if (paths.Length > 0) applied = DateTimeOffset.UtcNow;
                return await WaitForWorkloadsAsync(state, applied, null, TimeSpan.FromSeconds(parse.GetValue(timeout)), Console.Out, cancellationToken) ? 0 : 1;
            }
            catch (Exception e) when (e is LocalMeshException or MeshApiException or HttpRequestException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    /// <summary>Brings the control plane and the runtime of <paramref name="state"/> up (if they are not) and connects to the API.</summary>
    internal static async Task<IMeshApi> UpAsync(StateDirectory state, string? server, int? port, TextWriter output, CancellationToken cancellationToken)
    {
        try { Directory.CreateDirectory(state.Root); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LocalMeshException($"cannot use {state.Root} as the state directory: {e.Message} (choose another with --state-dir or $MESHWORK_STATE_DIR)");
        }
        var mesh = new LocalMesh(state, RuntimeCommands.MeshworkExecutable, line => output.WriteLine($"meshwork: {line}"));
        var serverInfo = await mesh.EnsureServerAsync(port, TimeSpan.FromSeconds(60), cancellationToken);
        output.WriteLine($"meshwork: control plane {serverInfo.Url} (state: {state.Root})");
        output.WriteLine($"meshwork: {KubectlHint.For(state)}");
        var api = RuntimeApi.Connect(state, server);
        var runtime = await mesh.EnsureRuntimeAsync(TimeSpan.FromSeconds(60), cancellationToken);
        output.WriteLine($"meshwork: runtime running (pid {runtime.Pid})");
        output.WriteLine(runtime.PodNetwork == nameof(PodNetworkMode.Loopback)
            ? $"meshwork: note: {PodNetworkModes.NotIsolatedNote}"
            : "meshwork: pod network: every pod in its own network namespace, as its own user");
        if (IngressGateway.Enabled)
        {
            var gatewayPort = IngressGateway.ChoosePort();
            output.WriteLine($"meshwork: ingress gateway {IngressGateway.Namespace}/{IngressGateway.Name} on port {gatewayPort} (https {IngressGateway.HttpsPortFor(gatewayPort)}) " +
                $"(its address: meshwork get svc -n {IngressGateway.Namespace} {IngressGateway.Name})");
        }
        return api;
    }

    /// <summary>Shows rollout progress until every Deployment is ready; false on timeout or error.</summary>
    internal static async Task<bool> WaitForWorkloadsAsync(
        StateDirectory state, DateTimeOffset since, IReadOnlyCollection<string>? only, TimeSpan timeout, TextWriter output, CancellationToken cancellationToken)
    {
        var mesh = new LocalMesh(state, RuntimeCommands.MeshworkExecutable, _ => { });
        var result = await mesh.WaitForRolloutAsync(since, only, timeout, progress =>
        {
            var status = progress.Error is not null ? $"error: {progress.Error}"
                : progress.Complete ? "ready"
                : "starting";
            output.WriteLine($"  deployment {progress.Namespace}/{progress.Name}: {progress.Ready}/{progress.Replicas} {status}");
        }, cancellationToken);
        var pending = result.Where(d => !d.Complete).ToList();
        if (pending.Count == 0)
        {
            output.WriteLine(result.Length == 0 ? "meshwork: no workloads yet" : $"meshwork: {result.Length} deployment(s) ready");
            return true;
        }
        foreach (var deployment in pending)
        {
            Console.Error.WriteLine($"error: deployment {deployment.Namespace}/{deployment.Name} is not ready ({deployment.Ready}/{deployment.Replicas})" +
                (deployment.Error is null ? $"; see `meshwork logs -n {deployment.Namespace} deploy/{deployment.Name}`" : $": {deployment.Error}"));
        }
        return false;
    }

    internal static string Describe(Resource resource)
    {
        var kind = resource.Kind.ToLowerInvariant();
        if (resource is Deployment) kind = "deployment.apps";
        else if (resource.ApiVersion.Contains('/', StringComparison.Ordinal) && !resource.ApiVersion.StartsWith("v1", StringComparison.Ordinal))
        {
            kind = $"{kind}.{resource.ApiVersion[..resource.ApiVersion.IndexOf('/', StringComparison.Ordinal)]}";
        }
        return resource.Metadata.Namespace is null ? $"{kind}/{resource.Metadata.Name}" : $"{kind}/{resource.Metadata.Name} -n {resource.Metadata.Namespace}";
    }

    public static Command Down()
    {
        var command = new Command("down", "Stop the local mesh: the runtime (and its pods), then the control plane. The configuration is kept.");
        command.SetAction(async (parse, cancellationToken) =>
        {
            var state = GlobalOptions.ResolveStateDirectory(parse);
            var mesh = new LocalMesh(state, RuntimeCommands.MeshworkExecutable, line => Console.WriteLine($"meshwork: {line}"));
            var stopped = await mesh.DownAsync(cancellationToken);
            Console.WriteLine(stopped
                ? $"meshwork: mesh stopped; its configuration stays in {state.Root} (`meshwork up` brings it back)"
                : "meshwork: no mesh was running");
            return 0;
        });
        return command;
    }

    public static Command Runtime()
    {
        var command = new Command("runtime", "Run the local runtime in the foreground (what `meshwork up` starts)") { Hidden = true };
        command.SetAction((parse, cancellationToken) =>
            ForegroundRuntime.RunAsync(GlobalOptions.ResolveStateDirectory(parse), parse.GetValue(GlobalOptions.Server), node: null, cancellationToken));
        return command;
    }
}
