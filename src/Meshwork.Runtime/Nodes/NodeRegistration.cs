using System.Collections.Immutable;
using Meshwork.Api;
using Meshwork.Model.Resources;
using Meshwork.Runtime.Network;

namespace Meshwork.Runtime.Nodes;

/// <summary>
/// A node's runtime as a Node object: registered with its pod range and address, its heartbeat renewed every
/// <see cref="HeartbeatInterval"/> (so the other nodes place replicas on it), and removed when it stops, so
/// that they take its replicas at once rather than after <see cref="Node.HeartbeatTimeout"/>.
/// </summary>
public sealed class NodeRegistration(IMeshApi api, string name, string? address, string? podCidr, Action<string> log)
{
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(10);

    private string? _lastError;

    /// <summary>The pod ranges other nodes registered, which this node's pod network must not take.</summary>
    public static async Task<ImmutableArray<Ipv4Range>> OtherPodRangesAsync(IMeshApi api, string self, CancellationToken cancellationToken)
    {
        var nodes = await api.ListAsync("Node", null, null, cancellationToken).ConfigureAwait(false);
        return [.. nodes.OfType<Node>()
            .Where(n => n.Metadata.Name != self && n.Spec.PodCidr is not null)
            .Select(n => Ipv4Range.TryParse(n.Spec.PodCidr!, out var range) ? range : (Ipv4Range?)null)
            .OfType<Ipv4Range>()];
    }

    public Node ToResource(DateTimeOffset now) => new()
    {
        ApiVersion = "v1",
        Metadata = new ObjectMeta { Name = name, Labels = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal).Add(Node.HostnameLabel, name) },
        Spec = new NodeSpec { PodCidr = podCidr },
        Status = new NodeStatus { InternalIp = address, LastHeartbeatTime = now },
    };

    /// <summary>Renews the heartbeat until cancelled, then removes the Node.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await api.PutAsync(ToResource(DateTimeOffset.UtcNow), cancellationToken).ConfigureAwait(false);
                if (_lastError is not null) log($"runtime: node {name}: heartbeat renewed again");
                _lastError = null;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                if (_lastError != e.Message) log($"runtime: node {name}: could not renew its heartbeat: {e.Message}");
                _lastError = e.Message;
            }
            try { await Task.Delay(HeartbeatInterval, cancellationToken).ConfigureAwait(false); }
            catch (OperationCanceledException) { break; }
        }
        using var leaving = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await api.DeleteAsync("Node", null, name, leaving.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            log($"runtime: node {name}: could not remove its Node (the others place its pods elsewhere once its heartbeat is {Node.HeartbeatTimeout.TotalSeconds:F0} s old): {e.Message}");
        }
    }
}
