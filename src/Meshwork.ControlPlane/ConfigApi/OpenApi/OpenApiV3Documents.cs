using System.Text.Json.Nodes;
using Meshwork.ControlPlane.ConfigApi.Discovery;
using Meshwork.Model.Schema;

namespace Meshwork.ControlPlane.ConfigApi.OpenApi;

/// <summary>
/// OpenAPI v3 documents as the Kubernetes API server publishes them: <c>/openapi/v3</c> lists one
/// document per group version, and each document describes that group version's paths.
/// kubectl reads them to learn that the server validates fields itself: a PATCH operation tagged
/// with the kind's <c>x-kubernetes-group-version-kind</c> that takes the <c>fieldValidation</c>
/// query parameter. It then sends <c>fieldValidation=Strict</c> and leaves validation to the
/// server's manifest reader, which names unknown fields, rather than downloading a schema to
/// validate against. The request bodies list JSON, merge and JSON patches but not strategic merge,
/// so kubectl computes strategic patches of core kinds from its own compiled-in types. Each kind's
/// schema (<see cref="MeshKindSchemas"/>) is what <c>kubectl explain</c> prints.
/// </summary>
public static class OpenApiV3Documents
{
    /// <summary>Changes whenever the served kinds change, so clients that cache by hash refetch.</summary>
    private static readonly string Hash = Convert.ToHexStringLower(
        System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(
            string.Join(";", KindRegistry.All.Select(k => $"{k.FullyQualifiedPlural}:{string.Join(",", k.Versions)}")) + ServerVersion.GitVersion)))[..16];

    /// <summary>The path of a group version's document relative to <c>/openapi/v3/</c>: <c>api/v1</c> or <c>apis/{group}/{version}</c>.</summary>
    public static string PathOf(string group, string version) => group.Length == 0 ? $"api/{version}" : $"apis/{group}/{version}";

    public static JsonObject Root()
    {
        var paths = new JsonObject();
        paths[PathOf("", "v1")] = Reference("", "v1");
        foreach (var (group, versions) in DiscoveryDocuments.Groups)
        {
            // Only group versions of the store's kinds: the rest (events, CRDs) are never applied.
            foreach (var version in versions.Where(v => DiscoveryDocuments.KindsIn(group, v).Any())) paths[PathOf(group, version)] = Reference(group, version);
        }
        return new JsonObject { ["paths"] = paths };
    }

    /// <summary>The document of <c>/openapi/v3/{path}</c>, or null when no group version lives there.</summary>
    public static JsonObject? Document(string path)
    {
        var parts = path.Split('/');
        var (group, version) = parts switch
        {
            ["api", var v] => ("", v),
            ["apis", var g, var v] => (g, v),
            _ => (null, null),
        };
        if (group is null || version is null || !DiscoveryDocuments.KindsIn(group, version).Any()) return null;

        var paths = new JsonObject();
        var schemas = new JsonObject();
        var prefix = group.Length == 0 ? $"/api/{version}" : $"/apis/{group}/{version}";
        foreach (var kind in DiscoveryDocuments.KindsIn(group, version))
        {
            var schemaName = SchemaName(kind, version);
            var schema = MeshKindSchemas.For(kind);
            schema["x-kubernetes-group-version-kind"] = new JsonArray(Gvk(kind, version));
            schemas[schemaName] = schema;
            var collection = kind.Namespaced ? $"{prefix}/namespaces/{{namespace}}/{kind.Plural}" : $"{prefix}/{kind.Plural}";
            paths[collection] = new JsonObject
            {
                ["get"] = Operation(kind, version, "list", schemaName, null),
                ["post"] = Operation(kind, version, "post", schemaName, ["application/json", "application/yaml"]),
            };
            paths[$"{collection}/{{name}}"] = new JsonObject
            {
                ["get"] = Operation(kind, version, "get", schemaName, null),
                ["put"] = Operation(kind, version, "put", schemaName, ["application/json", "application/yaml"]),
                ["patch"] = Operation(kind, version, "patch", schemaName, ["application/json-patch+json", "application/merge-patch+json", ConfigApiEndpoints.ApplyPatchContentType]),
                ["delete"] = Operation(kind, version, "delete", schemaName, null),
            };
        }
        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Meshwork config API", ["version"] = ServerVersion.GitVersion },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = schemas },
        };
    }

    private static JsonObject Reference(string group, string version) =>
        new() { ["serverRelativeURL"] = $"/openapi/v3/{PathOf(group, version)}?hash={Hash}" };

    private static JsonObject Operation(KindInfo kind, string version, string action, string schemaName, string[]? bodyTypes)
    {
        var schemaRef = new JsonObject { ["$ref"] = $"#/components/schemas/{schemaName}" };
        var operation = new JsonObject
        {
            ["operationId"] = $"{action}{kind.Kind}",
            ["x-kubernetes-action"] = action,
            ["x-kubernetes-group-version-kind"] = Gvk(kind, version),
            ["parameters"] = new JsonArray(
                new JsonObject { ["name"] = "fieldValidation", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string" } },
                new JsonObject { ["name"] = "fieldManager", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string" } }),
            ["responses"] = new JsonObject
            {
                ["200"] = new JsonObject
                {
                    ["description"] = "OK",
                    ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = schemaRef.DeepClone() } },
                },
            },
        };
        if (bodyTypes is not null)
        {
            var content = new JsonObject();
            foreach (var type in bodyTypes) content[type] = new JsonObject { ["schema"] = schemaRef.DeepClone() };
            operation["requestBody"] = new JsonObject { ["content"] = content };
        }
        return operation;
    }

    private static JsonObject Gvk(KindInfo kind, string version) =>
        new() { ["group"] = kind.ApiGroup, ["version"] = version, ["kind"] = kind.Kind };

    /// <summary>Kubernetes' reverse-domain schema names: <c>io.k8s.api.core.v1.Pod</c>, <c>io.istio.security.v1.PeerAuthentication</c>.</summary>
    private static string SchemaName(KindInfo kind, string version)
    {
        var group = kind.ApiGroup.Length == 0 ? "io.k8s.api.core" : kind.ApiGroup.EndsWith(".istio.io", StringComparison.Ordinal)
            ? "io.istio." + kind.ApiGroup[..^".istio.io".Length]
            : "io.k8s.api." + kind.ApiGroup;
        return $"{group}.{version}.{kind.Kind}";
    }
}
