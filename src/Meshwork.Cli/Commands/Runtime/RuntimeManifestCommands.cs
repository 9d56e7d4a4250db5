using System.CommandLine;
using System.Globalization;
using Meshwork.Api;
using Meshwork.Model.Resources;
using Meshwork.Runtime.Manifests;

namespace Meshwork.Cli.Commands.Runtime;

/// <summary>`meshwork kube-inject` and `meshwork rollout`.</summary>
internal static class RuntimeManifestCommands
{
    public const string RestartedAtAnnotation = "kubectl.kubernetes.io/restartedAt";

    public static Command KubeInject()
    {
        var file = new Option<string>("--filename", "-f") { Description = "Manifest to inject (- for stdin)", Required = true };
        var command = new Command("kube-inject", "Print a manifest with sidecar.istio.io/inject: \"true\" on every pod template, as istioctl kube-inject")
        {
            file,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = parse.GetValue(file)!;
            string text;
            try
            {
                text = path == "-" ? await Console.In.ReadToEndAsync(cancellationToken) : await File.ReadAllTextAsync(path, cancellationToken);
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
            try
            {
                Console.Write(Meshwork.Runtime.Manifests.KubeInject.InjectYaml(text));
                return 0;
            }
            catch (YamlDotNet.Core.YamlException e)
            {
                Console.Error.WriteLine($"error: {path}:{e.Start.Line}:{e.Start.Column}: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    public static Command Rollout()
    {
        var ns = GlobalOptions.Namespace;
        var target = new Argument<string>("deployment") { Description = "deployment/NAME" };
        var restart = new Command("restart", "Replace a deployment's pods with new ones (new processes, new certificates)") { target };
        restart.SetAction(async (parse, cancellationToken) =>
        {
            var state = GlobalOptions.ResolveStateDirectory(parse);
            if (DeploymentName(parse.GetValue(target)!) is not { } name) return 1;
            var @namespace = parse.GetValue(ns) ?? "default";
            var server = parse.GetValue(GlobalOptions.Server);
            Task<int> ThroughApi() => RestartThroughApiAsync(state, server, @namespace, name, cancellationToken);
            return @namespace == ControlPlaneDeployment.Namespace && name == ControlPlaneDeployment.Name
                ? await ControlPlaneRestart.RunAsync(state, ThroughApi, Console.Out, Console.Error, cancellationToken)
                : await ThroughApi();
        });

        var statusNs = GlobalOptions.Namespace;
        var statusTarget = new Argument<string>("deployment") { Description = "deployment/NAME" };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait", DefaultValueFactory = _ => 120 };
        var status = new Command("status", "Wait until a deployment's pods are all of its current template and ready") { statusTarget, timeout };
        status.SetAction(async (parse, cancellationToken) =>
        {
            var state = GlobalOptions.ResolveStateDirectory(parse);
            if (DeploymentName(parse.GetValue(statusTarget)!) is not { } name) return 1;
            var @namespace = parse.GetValue(statusNs) ?? "default";
            try
            {
                var ok = await RuntimeLifecycleCommands.WaitForWorkloadsAsync(state, DateTimeOffset.UtcNow, [$"{@namespace}/{name}"],
                    TimeSpan.FromSeconds(parse.GetValue(timeout)), Console.Out, cancellationToken);
                if (ok) Console.WriteLine($"deployment \"{name}\" successfully rolled out");
                return ok ? 0 : 1;
            }
            catch (Meshwork.Runtime.LocalMeshException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return new Command("rollout", "Manage the rollout of a deployment") { restart, status };
    }

    /// <summary>What kubectl rollout restart does: a new restartedAt annotation on the pod template, which rolls the pods.</summary>
    private static async Task<int> RestartThroughApiAsync(StateDirectory state, string? server, string @namespace, string name, CancellationToken cancellationToken)
    {
        try
        {
            var api = RuntimeApi.Connect(state, server);
            if (await api.GetAsync("Deployment", @namespace, name, cancellationToken) is not Deployment deployment)
            {
                Console.Error.WriteLine($"Error from server (NotFound): deployments.apps \"{name}\" not found");
                return 1;
            }
            var template = deployment.Spec.Template;
            var restarted = deployment with
            {
                Spec = deployment.Spec with
                {
                    Template = template with
                    {
                        Annotations = template.Annotations.SetItem(RestartedAtAnnotation, DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)),
                    },
                },
            };
            await api.PutAsync(restarted, cancellationToken);
            Console.WriteLine($"deployment.apps/{name} restarted");
            return 0;
        }
        catch (Exception e) when (e is MeshApiException or HttpRequestException or NotSupportedException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    private static string? DeploymentName(string target)
    {
        var slash = target.IndexOf('/', StringComparison.Ordinal);
        var kind = slash < 0 ? "deployment" : target[..slash].ToLowerInvariant();
        if (kind is not ("deployment" or "deployments" or "deploy" or "deployment.apps"))
        {
            Console.Error.WriteLine($"error: rollout supports deployment/NAME, not {target}");
            return null;
        }
        return slash < 0 ? target : target[(slash + 1)..];
    }
}
