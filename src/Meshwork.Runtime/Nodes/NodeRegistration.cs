using System.Collections.Immutable;
using Meshwork.Api;
using Meshwork.Model.Resources;
using Meshwork.Runtime.Network;

namespace Meshwork.Runtime.Nodes;

/// <summary>
/// A node's runtime as a Node object: registered with its pod range and address, its heartbeat renewed every
/// <see cref="HeartbeatInterval"/> (so the other nodes place replicas on it), and removed when it stops, so
/// that they take its replicas at once rather than after <see cref="Node.HeartbeatTimeout"/>. The pod range is
/// claimed by the first write of the Node (<see cref="TryClaim"/>): the store refuses a range another node holds.
/// </summary>
public sealed class NodeRegistration(IMeshApi api, string name, string? address, Action<string> log)
{
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(10);

    private string? _lastError;
    private string? _podCidr;

    /// <summary>
    /// Writes this node's Node with <paramref name="range"/> as its pod range: false when the store refuses the range
    /// as another node's (two hosts that chose it at the same instant: one write wins, the other tries the next).
    /// Any other failure (the config API unreachable) is thrown: the node cannot start without its range.
    /// </summary>
    public bool TryClaim(Ipv4Range range, CancellationToken cancellationToken)
    {
        var node = ToResource(DateTimeOffset.UtcNow) with { Spec = new NodeSpec { PodCidr = range.ToString() } };
        try
        {
            // Called while the pod network is chosen, before the runtime's loop: one request, waited for.
            api.PutAsync(node, cancellationToken).GetAwaiter().GetResult();
        }
        catch (MeshApiException e) when (e.StatusCode == 422 && e.Causes.Any(c => c.Field.EndsWith("spec.podCIDR", StringComparison.Ordinal)))
        {
            log($"runtime: node {name}: pod range {range} is taken ({e.Message}); trying the next");
            return false;
        }
        _podCidr = node.Spec.PodCidr;
        return true;
    }

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
        Spec = new NodeSpec { PodCidr = _podCidr },
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
