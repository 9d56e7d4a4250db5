namespace Meshwork.Api.Events;

/// <summary>The object an event is about, as Kubernetes' <c>involvedObject</c> (core/v1) or <c>regarding</c> (events.k8s.io/v1) names it.</summary>
public sealed record EventSubject(string Kind, string? Namespace, string Name)
{
    /// <summary>The object's uid when the reporter knew it; the API fills it in from the store when it can.</summary>
    public string? Uid { get; init; }
    public string? ApiVersion { get; init; }
    /// <summary>The part of the object, as the kubelet names a container: <c>spec.containers{sleep}</c>.</summary>
    public string? FieldPath { get; init; }

    /// <summary>Where events about this object are kept: its namespace, or <c>default</c> for a cluster-scoped object, as Kubernetes records them.</summary>
    public string EventNamespace => Namespace ?? "default";
}

/// <summary>
/// A Kubernetes event: something that happened to an object (a pod scheduled, a container started,
/// a probe failing, a deployment scaled), reported by a component, kept for a while and shown by
/// <c>describe</c> and <c>get events</c>. The reporter fills the first group of properties; the API
/// assigns the rest when it records the event.
/// </summary>
public sealed record ObjectEvent
{
    /// <summary>Kubernetes' two event types.</summary>
    public const string Normal = "Normal";
    public const string Warning = "Warning";

    public required EventSubject Subject { get; init; }
    /// <summary><see cref="Normal"/> or <see cref="Warning"/>.</summary>
    public required string Type { get; init; }
    /// <summary>A short CamelCase word: Scheduled, Started, Killing, Unhealthy, BackOff, ScalingReplicaSet.</summary>
    public required string Reason { get; init; }
    public required string Message { get; init; }
    /// <summary>The reporting component: <c>default-scheduler</c>, <c>kubelet</c>, <c>deployment-controller</c>.</summary>
    public required string Component { get; init; }
    /// <summary>The node, for the kubelet's events.</summary>
    public string? Host { get; init; }

    public string? Name { get; init; }
    public string? Uid { get; init; }
    public string? ResourceVersion { get; init; }
    public DateTimeOffset? FirstTimestamp { get; init; }
    public DateTimeOffset? LastTimestamp { get; init; }
    /// <summary>How many times the same event happened (the kubelet's repeated probe failures are one event with a count).</summary>
    public int Count { get; init; } = 1;

    public string Namespace => Subject.EventNamespace;
}
