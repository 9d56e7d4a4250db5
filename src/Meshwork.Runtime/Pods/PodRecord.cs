using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using Meshwork.Api;
using Meshwork.Identity;

namespace Meshwork.Runtime.Pods;

/// <summary>One container of a running pod, as `meshwork exec` and `meshwork logs` need it.</summary>
public sealed record ContainerRecord
{
    public required string Name { get; init; }
    public required ImmutableArray<string> Command { get; init; }
    public required ImmutableSortedDictionary<string, string> Environment { get; init; }
    public required string WorkingDirectory { get; init; }
    public required string LogFile { get; init; }
    public bool Ready { get; init; }
    public int RestartCount { get; init; }
    public string State { get; init; } = "waiting";
    public int? Pid { get; init; }
    /// <summary>Set in pod network mode: `exec` enters the namespaces of <see cref="Pid"/> as this user.</summary>
    public int? Uid { get; init; }
}

/// <summary>
/// <c>&lt;state&gt;/pods/&lt;ns&gt;/&lt;pod&gt;/pod.json</c>: what the runtime knows about one of its pods.
/// The runtime writes it (atomically) whenever the pod changes and removes the folder with the pod.
/// </summary>
public sealed record PodRecord
{
    public const string FileName = "pod.json";

    public required string Namespace { get; init; }
    public required string Name { get; init; }
    public required string Deployment { get; init; }
    public required string TemplateHash { get; init; }
    public required string PodIp { get; init; }
    /// <summary>
    /// The address this pod's connections come from, as a destination's sidecar records them (its refused connections, its
    /// plaintext peers): the pod IP, except in loopback mode for a pod without a sidecar, whose calls leave through its
    /// namespace's network proxy. Null in a record written before the runtime kept it: then the pod IP.
    /// </summary>
    public string? SourceAddress { get; init; }
    public bool Sidecar { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public ImmutableArray<ContainerRecord> Containers { get; init; } = [];
    /// <summary>Set when the runtime is stopping the pod (replaced, scaled down, deleted).</summary>
    public bool Terminating { get; init; }

    [JsonIgnore]
    public bool Ready => !Terminating && Containers.Length > 0 && Containers.All(c => c.Ready);

    /// <summary>The container `exec` and `logs` use when none is named: the first app container.</summary>
    [JsonIgnore]
    public ContainerRecord? DefaultContainer => Containers.FirstOrDefault(c => c.Name != SidecarInjection.SidecarContainerName) ?? Containers.FirstOrDefault();

    /// <summary>Where a destination sees this pod's connections come from: <see cref="SourceAddress"/>, else the pod IP.</summary>
    [JsonIgnore]
    public string ConnectsFrom => SourceAddress ?? PodIp;

    /// <summary>
    /// The running pods whose connections a destination sees coming from <paramref name="address"/>: one pod, none (not a
    /// pod of this mesh), or several (the pods without a sidecar of one namespace share its network proxy's address).
    /// </summary>
    public static IReadOnlyList<PodRecord> ConnectingFrom(IEnumerable<PodRecord> pods, string address)
    {
        ArgumentNullException.ThrowIfNull(pods);
        return [.. pods.Where(p => !p.Terminating && p.ConnectsFrom == address)];
    }

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Replaces the record whole (<see cref="AtomicFile"/>): a reader, or a write that overlaps this one, never sees a mix.</summary>
    public void Write(string directory) =>
        AtomicFile.WriteAllText(Path.Combine(directory, FileName), JsonSerializer.Serialize(this, Options), AtomicFile.Public);

    public static PodRecord? Read(string directory)
    {
        try
        {
            return JsonSerializer.Deserialize<PodRecord>(File.ReadAllText(Path.Combine(directory, FileName)), Options);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>All pods the runtime of <paramref name="state"/> has on disk, optionally of one namespace.</summary>
    public static IReadOnlyList<PodRecord> List(StateDirectory state, string? @namespace = null)
    {
        var root = Path.Combine(state.Root, "pods");
        if (!Directory.Exists(root)) return [];
        var namespaces = @namespace is null ? Directory.GetDirectories(root) : [Path.Combine(root, @namespace)];
        var pods = new List<PodRecord>();
        foreach (var nsDirectory in namespaces.Where(Directory.Exists))
        {
            foreach (var podDirectory in Directory.GetDirectories(nsDirectory))
            {
                if (Read(podDirectory) is { } record) pods.Add(record);
            }
        }
        return [.. pods.OrderBy(p => p.Namespace, StringComparer.Ordinal).ThenBy(p => p.CreatedAt)];
    }

    /// <summary>
    /// Resolves a kubectl-style target: a pod name, or deploy/NAME (deployment/, deployments/ too),
    /// which picks a ready pod of that deployment, the newest first.
    /// </summary>
    public static PodRecord? Resolve(StateDirectory state, string @namespace, string target, out string? error)
    {
        error = null;
        var pods = List(state, @namespace);
        var slash = target.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0)
        {
            var kind = target[..slash].ToLowerInvariant();
            var name = target[(slash + 1)..];
            if (kind is "pod" or "pods" or "po")
            {
                return ResolveName(pods, @namespace, name, out error);
            }
            if (kind is not ("deploy" or "deployment" or "deployments" or "deployment.apps"))
            {
                error = $"error: cannot exec into {kind}: use a pod name or deploy/NAME";
                return null;
            }
            var candidates = pods.Where(p => p.Deployment == name && !p.Terminating).OrderByDescending(p => p.Ready).ThenByDescending(p => p.CreatedAt).ToList();
            if (candidates.Count == 0)
            {
                error = $"error: no running pods found for deployment \"{name}\" in namespace \"{@namespace}\"";
                return null;
            }
            return candidates[0];
        }
        return ResolveName(pods, @namespace, target, out error);
    }

    private static PodRecord? ResolveName(IReadOnlyList<PodRecord> pods, string @namespace, string name, out string? error)
    {
        error = null;
        // A bare deployment name stands for one of its pods, so tutorials that exec into a named
        // pod (kubectl exec plain-pod) work when the pod comes from a deployment of that name.
        var pod = pods.FirstOrDefault(p => p.Name == name)
            ?? pods.Where(p => p.Deployment == name && !p.Terminating).OrderByDescending(p => p.Ready).ThenByDescending(p => p.CreatedAt).FirstOrDefault();
        if (pod is null) error = $"Error from server (NotFound): pods \"{name}\" not found in namespace \"{@namespace}\"";
        return pod;
    }
}
