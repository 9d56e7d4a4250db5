using System.Collections.Immutable;
using Meshwork.Model.Resources;

namespace Meshwork.ControlPlane.Tests.Store;

internal static class StoreFixtures
{
    public static Namespace Namespace(string name, params (string Key, string Value)[] labels) => new()
    {
        ApiVersion = "v1",
        Metadata = new ObjectMeta { Name = name, Labels = labels.ToImmutableSortedDictionary(l => l.Key, l => l.Value) },
    };

    public static ConfigMap ConfigMap(string @namespace, string name, string value = "one", params (string Key, string Value)[] labels) => new()
    {
        ApiVersion = "v1",
        Metadata = new ObjectMeta { Name = name, Namespace = @namespace, Labels = labels.ToImmutableSortedDictionary(l => l.Key, l => l.Value) },
        Data = ImmutableSortedDictionary<string, string>.Empty.Add("value", value),
    };

    public static PeerAuthentication PeerAuthentication(string @namespace, string name, MtlsMode mode) => new()
    {
        ApiVersion = "security.istio.io/v1beta1",
        Metadata = new ObjectMeta { Name = name, Namespace = @namespace },
        Spec = new PeerAuthenticationSpec { Mode = mode },
    };
}
