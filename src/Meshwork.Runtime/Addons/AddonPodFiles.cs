using Meshwork.Api;
using Meshwork.Runtime.Pods;
using Meshwork.Runtime.Processes;

namespace Meshwork.Runtime.Addons;

/// <summary>
/// The files an addon's pod is given, as Kubernetes projects a ConfigMap and a service-account token into Istio's
/// addon pods: what `up --addons` wrote to &lt;state&gt;/addons/NAME is copied, before the pod starts, into the pod's own
/// folder as <see cref="Folder"/>/ — the one part of the state directory its sandbox shows it — owned by the pod's app
/// user and readable by it alone. Only pods in istio-system that name a known addon get any.
/// </summary>
public static class AddonPodFiles
{
    /// <summary>The pod template annotation naming the addon whose files the pod is given.</summary>
    public const string Annotation = "meshwork.io/addon";

    /// <summary>The folder, in the pod's own folder (its working directory), that holds the files.</summary>
    public const string Folder = "addon";

    public static readonly IReadOnlyList<string> Known = [PrometheusAddon.Name];

    /// <summary>&lt;state&gt;/addons/NAME.</summary>
    public static string Source(StateDirectory state, string addon)
    {
        ArgumentNullException.ThrowIfNull(state);
        return Path.Combine(state.Root, "addons", addon);
    }

    /// <summary>
    /// Copies the files of the addon the pod's annotation names, if any. A name that is unknown, asked for outside
    /// istio-system, or whose files were never written stops the pod: it would otherwise start without what it needs.
    /// </summary>
    /// <param name="owner">The pod's app user in the pod network mode; null: the runtime's own user (loopback mode).</param>
    public static void Stage(PodPlan plan, StateDirectory state, int? owner)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (!plan.Annotations.TryGetValue(Annotation, out var addon)) return;
        if (!Known.Contains(addon) || plan.Namespace != PrometheusAddon.Namespace)
        {
            throw new PodPlanException($"annotation {Annotation}: \"{addon}\" is not an addon of {PrometheusAddon.Namespace} " +
                $"(known: {string.Join(", ", Known)}; they run in {PrometheusAddon.Namespace} only)");
        }
        var source = Source(state, addon);
        if (!Directory.Exists(source))
        {
            throw new PodPlanException($"annotation {Annotation}: the files of addon {addon} are missing; run `meshwork up --addons {addon}`");
        }
        var target = Path.Combine(plan.Directory, Folder);
        Directory.CreateDirectory(target);
        if (owner is int uid) Posix.Chown(target, uid, uid);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (var file in Directory.EnumerateFiles(source))
        {
            PrivateFile.Write(Path.Combine(target, Path.GetFileName(file)), File.ReadAllText(file), owner);
        }
    }
}
