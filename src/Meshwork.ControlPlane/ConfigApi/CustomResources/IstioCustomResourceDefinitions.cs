using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Meshwork.ControlPlane.ConfigApi.Tables;
using Meshwork.Model.Schema;
using Meshwork.Model.Yaml;

namespace Meshwork.ControlPlane.ConfigApi.CustomResources;

/// <summary>
/// The CustomResourceDefinitions (apiextensions.k8s.io/v1) a cluster with Istio installed lists,
/// one per Istio kind the config API serves, generated from the kind registry so that
/// <c>kubectl get crd</c> names exactly what can be applied. They are read-only: the kinds are
/// built in, not defined by users.
/// </summary>
public static class IstioCustomResourceDefinitions
{
    public static IEnumerable<KindInfo> Kinds => KindRegistry.All.Where(k => k.ApiGroup.EndsWith(".istio.io", StringComparison.Ordinal));

    /// <summary>The CRD named <paramref name="name"/> (<c>peerauthentications.security.istio.io</c>), or null.</summary>
    public static JsonObject? Find(string name, DateTimeOffset created) =>
        Kinds.FirstOrDefault(k => k.FullyQualifiedPlural == name) is { } kind ? Definition(kind, created) : null;

    public static JsonObject Definition(KindInfo kind, DateTimeOffset created)
    {
        ArgumentNullException.ThrowIfNull(kind);
        var names = new JsonObject
        {
            ["kind"] = kind.Kind,
            ["listKind"] = kind.Kind + "List",
            ["plural"] = kind.Plural,
            ["singular"] = kind.SingularName,
            ["shortNames"] = Strings(kind.ShortNames),
            ["categories"] = Strings(kind.Categories),
        };
        var versions = new JsonArray();
        foreach (var version in kind.Versions)
        {
            versions.Add(new JsonObject
            {
                ["name"] = version,
                ["served"] = true,
                // Exactly one version is stored, as the API server requires: the preferred one.
                ["storage"] = version == kind.Versions[0],
                ["schema"] = new JsonObject
                {
                    ["openAPIV3Schema"] = new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true },
                },
                ["subresources"] = new JsonObject { ["status"] = new JsonObject() },
            });
        }
        return new JsonObject
        {
            ["apiVersion"] = "apiextensions.k8s.io/v1",
            ["kind"] = "CustomResourceDefinition",
            ["metadata"] = new JsonObject
            {
                ["name"] = kind.FullyQualifiedPlural,
                // The labels Istio's charts put on its CRDs, so selectors written for Istio find them.
                ["labels"] = new JsonObject { ["app"] = "istio-pilot", ["chart"] = "istio", ["heritage"] = "Tiller", ["release"] = "istio" },
                ["uid"] = StableUid(kind.FullyQualifiedPlural),
                ["resourceVersion"] = "1",
                ["generation"] = 1,
                ["creationTimestamp"] = ResourceJson.Timestamp(created),
            },
            ["spec"] = new JsonObject
            {
                ["group"] = kind.ApiGroup,
                ["names"] = names,
                ["scope"] = kind.Namespaced ? "Namespaced" : "Cluster",
                ["versions"] = versions,
            },
            ["status"] = new JsonObject
            {
                ["acceptedNames"] = names.DeepClone(),
                ["conditions"] = new JsonArray(Condition("NamesAccepted", "NoConflicts", created), Condition("Established", "InitialNamesAccepted", created)),
                ["storedVersions"] = new JsonArray(kind.Versions[0]),
            },
        };
    }

    public static JsonObject List(DateTimeOffset created)
    {
        var items = new JsonArray();
        foreach (var kind in Kinds) items.Add(Definition(kind, created));
        return new JsonObject
        {
            ["apiVersion"] = "apiextensions.k8s.io/v1",
            ["kind"] = "CustomResourceDefinitionList",
            ["metadata"] = new JsonObject { ["resourceVersion"] = "1" },
            ["items"] = items,
        };
    }

    /// <summary>kubectl's columns for CRDs: NAME and CREATED AT.</summary>
    public static JsonObject Table(IEnumerable<JsonObject> definitions)
    {
        var rows = new JsonArray();
        foreach (var definition in definitions)
        {
            var metadata = definition["metadata"]!;
            rows.Add(TableDocument.Row(new JsonArray((string)metadata["name"]!, (string)metadata["creationTimestamp"]!), metadata.DeepClone()));
        }
        return TableDocument.Build(new JsonArray(TableDocument.Column("Name", 0, "name"), TableDocument.Column("Created At", 0, type: "date")), rows, "1");
    }

    private static JsonObject Condition(string type, string reason, DateTimeOffset at) => new()
    {
        ["type"] = type,
        ["status"] = "True",
        ["reason"] = reason,
        ["message"] = type == "Established" ? "the initial names have been accepted" : "no conflicts found",
        ["lastTransitionTime"] = ResourceJson.Timestamp(at),
    };

    /// <summary>The same uid for the same CRD on every start (a name-based UUID, RFC 9562 §5.8 layout).</summary>
    private static string StableUid(string name)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes("meshwork-crd:" + name)).AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true).ToString();
    }

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());
}
