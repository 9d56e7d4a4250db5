using System.Globalization;
using Meshwork.Api.Tables;
using Meshwork.Model.Resources;

namespace Meshwork.Cli.Output.Describe;

/// <summary>kubectl's describers of the kinds that run processes: Pod and Deployment.</summary>
internal static class WorkloadDescriptions
{
    public static void Pod(DescribeWriter w, Pod pod)
    {
        ResourceDescriber.Metadata(w, pod);
        w.Field(0, "Priority", "0");
        w.Field(0, "Service Account", pod.Spec.ServiceAccountName);
        w.Field(0, "Node", Environment.MachineName);
        w.Field(0, "Start Time", ResourceDescriber.Time(pod.Status.StartTime ?? pod.Metadata.CreationTimestamp));
        w.Map(0, "Labels", pod.Metadata.Labels);
        w.Map(0, "Annotations", pod.Metadata.Annotations, ": ");
        w.Field(0, "Status", pod.Status.Reason ?? pod.Status.Phase);
        w.Field(0, "IP", pod.Status.PodIP ?? "");
        if (pod.Metadata.Labels.TryGetValue("pod-template-hash", out var hash))
        {
            w.Field(0, "Controlled By", $"ReplicaSet/{ReplicaSetName(pod, hash)}");
        }
        w.Section(0, "Containers");
        foreach (var container in pod.Spec.Containers)
        {
            var status = pod.Status.ContainerStatuses.FirstOrDefault(s => s.Name == container.Name);
            Container(w, 1, container);
            var state = status?.State ?? "waiting";
            w.Field(2, "State", char.ToUpperInvariant(state[0]) + state[1..]);
            w.Field(2, "Ready", status?.Ready == true ? "True" : "False");
            w.Field(2, "Restart Count", (status?.RestartCount ?? 0).ToString(CultureInfo.InvariantCulture));
            Probes(w, 2, container);
            EnvironmentVariables(w, 2, container);
        }
        var ready = ResourceColumns.IsReady(pod);
        var running = pod.Status.Phase == "Running";
        w.Section(0, "Conditions");
        w.Table(1,
        [
            ["Type", "Status"],
            ["Initialized", "True"],
            ["Ready", ready ? "True" : "False"],
            ["ContainersReady", ready ? "True" : "False"],
            ["PodScheduled", running || pod.Status.StartTime is not null ? "True" : "False"],
        ]);
    }

    public static void Deployment(DescribeWriter w, Deployment deployment)
    {
        ResourceDescriber.Metadata(w, deployment);
        w.Field(0, "CreationTimestamp", ResourceDescriber.Time(deployment.Metadata.CreationTimestamp));
        w.Map(0, "Labels", deployment.Metadata.Labels);
        w.Map(0, "Annotations", deployment.Metadata.Annotations, ": ");
        var selector = deployment.Spec.Selector.IsEmpty ? deployment.Spec.Template.Labels : deployment.Spec.Selector.MatchLabels;
        w.Field(0, "Selector", string.Join(",", selector.Select(kv => $"{kv.Key}={kv.Value}")));
        var s = deployment.Status;
        w.Field(0, "Replicas", string.Create(CultureInfo.InvariantCulture,
            $"{deployment.Spec.Replicas} desired | {s.UpdatedReplicas} updated | {s.Replicas} total | {s.AvailableReplicas} available | {s.UnavailableReplicas} unavailable"));
        w.Field(0, "StrategyType", "RollingUpdate");
        w.Field(0, "MinReadySeconds", "0");
        w.Section(0, "Pod Template");
        w.Map(1, "Labels", deployment.Spec.Template.Labels);
        if (deployment.Spec.Template.Annotations.Count > 0) w.Map(1, "Annotations", deployment.Spec.Template.Annotations, ": ");
        w.Field(1, "Service Account", deployment.Spec.Template.Spec.ServiceAccountName);
        w.Section(1, "Containers");
        foreach (var container in deployment.Spec.Template.Spec.Containers)
        {
            Container(w, 2, container);
            Probes(w, 3, container);
            EnvironmentVariables(w, 3, container);
        }
        var available = s.AvailableReplicas >= deployment.Spec.Replicas;
        w.Section(0, "Conditions");
        w.Table(1,
        [
            ["Type", "Status", "Reason"],
            ["----", "------", "------"],
            ["Available", available ? "True" : "False", available ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable"],
        ]);
    }

    /// <summary>The runtime's replica set: the deployment's name and the template hash, as Kubernetes names it.</summary>
    private static string ReplicaSetName(Pod pod, string hash)
    {
        var name = pod.Metadata.Name;
        var at = name.IndexOf("-" + hash, StringComparison.Ordinal);
        return at > 0 ? name[..(at + hash.Length + 1)] : hash;
    }

    private static void Container(DescribeWriter w, int level, Container container)
    {
        w.Section(level, container.Name);
        w.Field(level + 1, "Image", container.Image ?? "<none>");
        w.Field(level + 1, "Port", container.Ports.IsDefaultOrEmpty
            ? "<none>"
            : string.Join(", ", container.Ports.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Port}/{p.Protocol}"))));
        w.Field(level + 1, "Host Port", "<none>");
        if (!container.Command.IsDefaultOrEmpty) w.Field(level + 1, "Command", string.Join('\n', container.Command));
        if (!container.Args.IsDefaultOrEmpty) w.Field(level + 1, "Args", string.Join('\n', container.Args));
    }

    private static void Probes(DescribeWriter w, int level, Container container)
    {
        if (container.LivenessProbe is { } liveness) w.Field(level, "Liveness", Probe(liveness));
        if (container.ReadinessProbe is { } readiness) w.Field(level, "Readiness", Probe(readiness));
    }

    /// <summary>kubectl's one-line probe: <c>http-get http://:8000/ delay=0s timeout=1s period=10s #success=1 #failure=3</c>.</summary>
    private static string Probe(Probe p)
    {
        static string Port(IntOrString port) => port.Number?.ToString(CultureInfo.InvariantCulture) ?? port.Name ?? "";
        var action = p.HttpGet is { } h ? $"http-get {h.Scheme.ToLowerInvariant()}://:{Port(h.Port)}{h.Path}"
            : p.TcpSocket is { } t ? $"tcp-socket :{Port(t.Port)}"
            : p.Exec is { } e ? $"exec [{string.Join(' ', e.Command)}]"
            : "<unknown>";
        return string.Create(CultureInfo.InvariantCulture,
            $"{action} delay={p.InitialDelaySeconds}s timeout={p.TimeoutSeconds}s period={p.PeriodSeconds}s #success={p.SuccessThreshold} #failure={p.FailureThreshold}");
    }

    private static void EnvironmentVariables(DescribeWriter w, int level, Container container)
    {
        if (container.Env.IsDefaultOrEmpty)
        {
            w.Field(level, "Environment", "<none>");
            return;
        }
        w.Section(level, "Environment");
        foreach (var variable in container.Env) w.Field(level + 1, variable.Name, variable.Value);
    }
}
