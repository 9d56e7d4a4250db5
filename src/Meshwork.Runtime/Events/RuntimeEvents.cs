using System.Globalization;
using Meshwork.Api.Events;

namespace Meshwork.Runtime.Events;

/// <summary>
/// The Kubernetes events this runtime can honestly report, worded as the component that reports
/// them in Kubernetes words them: the scheduler placing a pod, the kubelet starting, probing,
/// restarting and stopping containers, the deployment controller scaling a replica set (the
/// runtime's replica set is a deployment's pods of one template hash, named as Kubernetes names it).
/// Images are not pulled (containers are commands), so there is no Pulled event.
/// </summary>
public sealed class RuntimeEvents(IEventRecorder recorder)
{
    private const string Kubelet = "kubelet";

    /// <summary>The node every pod runs on: this host.</summary>
    public static string NodeName { get; } = Environment.MachineName;

    public void Scheduled(string @namespace, string pod) =>
        Pod(@namespace, pod, null, ObjectEvent.Normal, "Scheduled", $"Successfully assigned {@namespace}/{pod} to {NodeName}", "default-scheduler");

    public void Started(string @namespace, string pod, string container) =>
        Pod(@namespace, pod, container, ObjectEvent.Normal, "Started", $"Started container {container}", Kubelet);

    public void FailedToStart(string @namespace, string pod, string container, string error) =>
        Pod(@namespace, pod, container, ObjectEvent.Warning, "Failed", Bounded($"Error: {error}"), Kubelet);

    public void BackOff(string @namespace, string pod, string container) =>
        Pod(@namespace, pod, container, ObjectEvent.Warning, "BackOff", $"Back-off restarting failed container {container} in pod {pod}_{@namespace}", Kubelet);

    /// <summary><paramref name="probe"/>: "Readiness" or "Liveness".</summary>
    public void ProbeFailed(string @namespace, string pod, string container, string probe) =>
        Pod(@namespace, pod, container, ObjectEvent.Warning, "Unhealthy", $"{probe} probe failed", Kubelet);

    public void Killing(string @namespace, string pod, string container, string why) =>
        Pod(@namespace, pod, container, ObjectEvent.Normal, "Killing", why.Length == 0 ? $"Stopping container {container}" : $"Container {container} {why}, will be restarted", Kubelet);

    public void Scaled(string @namespace, string deployment, string templateHash, int from, int to)
    {
        if (from == to) return;
        var direction = to > from ? "up" : "down";
        recorder.Record(new ObjectEvent
        {
            Subject = new EventSubject("Deployment", @namespace, deployment) { ApiVersion = "apps/v1" },
            Type = ObjectEvent.Normal,
            Reason = "ScalingReplicaSet",
            Message = string.Create(CultureInfo.InvariantCulture, $"Scaled {direction} replica set {deployment}-{templateHash} to {to} from {from}"),
            Component = "deployment-controller",
        });
    }

    private void Pod(string @namespace, string pod, string? container, string type, string reason, string message, string component) =>
        recorder.Record(new ObjectEvent
        {
            Subject = new EventSubject("Pod", @namespace, pod) { ApiVersion = "v1", FieldPath = container is null ? null : $"spec.containers{{{container}}}" },
            Type = type,
            Reason = reason,
            Message = message,
            Component = component,
            Host = component == Kubelet ? NodeName : null,
        });

    private static string Bounded(string message) =>
        message.Length <= EventJson.MaxMessageLength ? message : message[..(EventJson.MaxMessageLength - 3)] + "...";
}
