using System.Collections.Immutable;
using System.Text.Json;
using Meshwork.Api;
using Meshwork.Identity;

namespace Meshwork.Runtime;

/// <summary>Rollout progress of one Deployment, as `meshwork up` shows it.</summary>
public sealed record DeploymentProgress
{
    public required string Namespace { get; init; }
    public required string Name { get; init; }
    public int Replicas { get; init; }
    /// <summary>Pods of the current template that are ready.</summary>
    public int Ready { get; init; }
    /// <summary>Pods of an older template still running.</summary>
    public int Old { get; init; }
    public string? Error { get; init; }

    public bool Complete => Error is null && Ready >= Replicas && Old == 0;
}

/// <summary>
/// <c>&lt;state&gt;/runtime.json</c>: written by a running runtime after each reconcile pass, so the CLI
/// knows it is alive, where the network proxy is, and how far the rollouts are.
/// </summary>
public sealed record RuntimeInfo
{
    public required int Pid { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    /// <summary>When the runtime last read the desired state from the config API.</summary>
    public DateTimeOffset? ObservedAt { get; init; }
    public string? NetworkProxy { get; init; }
    public int? NetworkProxyPid { get; init; }
    public string? ApiError { get; init; }
    /// <summary>The pod network mode the runtime runs its pods in (a <see cref="Network.PodNetworkMode"/> name).</summary>
    public string? PodNetwork { get; init; }
    public ImmutableArray<DeploymentProgress> Deployments { get; init; } = [];

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public void Write(StateDirectory state) =>
        AtomicFile.WriteAllText(state.RuntimeInfoFile, JsonSerializer.Serialize(this, Options), AtomicFile.Public);

    public static RuntimeInfo? Read(StateDirectory state)
    {
        try
        {
            return JsonSerializer.Deserialize<RuntimeInfo>(File.ReadAllText(state.RuntimeInfoFile), Options);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The recorded runtime, when its process is still alive.</summary>
    public static RuntimeInfo? ReadLive(StateDirectory state) =>
        Read(state) is { } info && Processes.Posix.IsAlive(info.Pid) ? info : null;
}
