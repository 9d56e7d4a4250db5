using System.Collections.Immutable;
using Meshwork.Model.Resources;

namespace Meshwork.ControlPlane.Tests.Generation;

/// <summary>Resources built in code, for tests that must not depend on the YAML reader.</summary>
internal static class MeshFixtures
{
    public static ImmutableSortedDictionary<string, string> Labels(params (string Key, string Value)[] labels)
        => labels.ToImmutableSortedDictionary(l => l.Key, l => l.Value, StringComparer.Ordinal);

    public static ObjectMeta Meta(string ns, string name, params (string, string)[] labels)
        => new() { Name = name, Namespace = ns, Labels = Labels(labels) };

    public static Service Service(string ns, string name, string app, params ServicePort[] ports) => new()
    {
        ApiVersion = "v1",
        Metadata = Meta(ns, name),
        Spec = new ServiceSpec { Selector = new LabelSelector(Labels(("app", app))), Ports = [.. ports] },
    };

    public static ServicePort Port(int port, string? name = "http", IntOrString? target = null, string? appProtocol = null)
        => new() { Port = port, Name = name, TargetPort = target, AppProtocol = appProtocol };

    public static Pod Pod(string ns, string name, string app, string? ip, bool sidecar = true, bool ready = true,
        string serviceAccount = "default", params ContainerPort[] ports)
    {
        var labels = new List<(string, string)> { ("app", app) };
        if (sidecar) labels.Add(("security.istio.io/tlsMode", "istio"));
        return new Pod
        {
            ApiVersion = "v1",
            Metadata = Meta(ns, name, [.. labels]),
            Spec = new PodSpec
            {
                ServiceAccountName = serviceAccount,
                Containers = [new Container { Name = app, Ports = [.. ports] }],
            },
            Status = new PodStatus
            {
                Phase = "Running",
                PodIP = ip,
                ContainerStatuses = [new ContainerStatus { Name = app, Ready = ready }],
            },
        };
    }

    public static ContainerPort Named(string name, int port) => new() { Name = name, Port = port };
}
