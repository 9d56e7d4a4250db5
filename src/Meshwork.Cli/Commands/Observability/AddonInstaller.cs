using Meshwork.Api;
using Meshwork.Model.Yaml;
using Meshwork.Runtime;
using Meshwork.Runtime.Addons;
using Meshwork.Runtime.Network;

namespace Meshwork.Cli.Commands.Observability;

/// <summary>`meshwork up --addons NAME,...`: Istio's samples/addons, run by the local runtime.</summary>
internal static class AddonInstaller
{
    public static IReadOnlyList<string> Known => AddonPodFiles.Known;

    /// <summary>"prometheus" or "a,b" per word; unknown names are an error before anything is applied.</summary>
    public static IReadOnlyList<string>? Parse(IEnumerable<string> words, TextWriter error)
    {
        var names = words.SelectMany(w => w.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(n => n.ToLowerInvariant()).Distinct(StringComparer.Ordinal).ToList();
        var unknown = names.Where(n => !Known.Contains(n)).ToList();
        if (unknown.Count == 0) return names;
        error.WriteLine($"error: unknown addon {string.Join(", ", unknown)}; known addons: {string.Join(", ", Known)}");
        return null;
    }

    /// <summary>Writes each addon's files into the state directory (its pod is given them) and applies its resources.</summary>
    public static async Task<bool> InstallAsync(StateDirectory state, IMeshApi api, IReadOnlyList<string> names, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        foreach (var name in names)
        {
            // Only Prometheus today; Known guards the names.
            if (PrometheusAddon.FindBinary(Environment.GetEnvironmentVariable("PATH")) is not { } binary)
            {
                await error.WriteLineAsync($"error: {PrometheusAddon.MissingBinaryMessage}").ConfigureAwait(false);
                return false;
            }
            if (ServerInfo.Read(state) is not { } server)
            {
                await error.WriteLineAsync($"error: no control plane is recorded in {state.Root}").ConfigureAwait(false);
                return false;
            }
            // In the pod network mode Prometheus is a pod like the sidecars and reaches istiod as they do.
            var podNetwork = RuntimeInfo.ReadLive(state)?.PodNetwork == nameof(PodNetworkMode.Namespaces);
            PrometheusAddon.WriteFiles(state, PrometheusAddon.ControlPlaneUrl(podNetwork, server.Url));
            var read = ManifestReader.Read(PrometheusAddon.Manifest(binary), $"addon {name}");
            if (read.HasErrors)
            {
                foreach (var diagnostic in read.Diagnostics) await error.WriteLineAsync(diagnostic.ToString()).ConfigureAwait(false);
                return false;
            }
            await api.ApplyAsync(read.Resources, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"meshwork: addon {name}: service/{PrometheusAddon.Name} -n {PrometheusAddon.Namespace} (port {PrometheusAddon.Port}), files {PrometheusAddon.Directory(state)}").ConfigureAwait(false);
        }
        return true;
    }
}
