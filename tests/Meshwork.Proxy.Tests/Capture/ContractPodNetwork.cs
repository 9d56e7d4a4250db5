using System.Net;

namespace Meshwork.Proxy.Tests.Capture;

/// <summary>
/// The pod network an entry path of the contract suite runs its capture in: a client pod (sleep) and a server pod
/// (httpbin), both with Istio's capture rules, and this host on their bridge, where the test's in-process sidecars and
/// apps listen. The Service's clusterIP is in the pods' Service range. Needs root: the contract's tests fail with the
/// reason where it cannot be built (xunit 2 has no way to skip an inherited test at run time).
/// </summary>
public sealed class ContractPodNetwork : IDisposable
{
    private readonly PodNetwork _network;

    public PodNamespace Client { get; }
    public PodNamespace Server { get; }
    public string HostIp { get; }
    public IPAddress HostAddress => IPAddress.Parse(HostIp);
    public string ClusterIp => _network.ServiceIp(10);

    public ContractPodNetwork()
    {
        if (PodNetwork.SkipReason is { } reason) throw new InvalidOperationException($"the capture entry paths cannot run here: {reason}");
        _network = new PodNetwork();
        try
        {
            HostIp = _network.AttachHost();
            Client = _network.AddPod("sleep");
            Server = _network.AddPod("httpbin");
            _network.Capture(Client);
            _network.Capture(Server);
        }
        catch
        {
            _network.Dispose();
            throw;
        }
    }

    public void Dispose() => _network.Dispose();
}
