using System.Text.Json.Nodes;
using Meshwork.Model.Schema;

namespace Meshwork.ControlPlane.ConfigApi.Discovery;

/// <summary>
/// Kubernetes' legacy discovery documents (APIVersions, APIGroupList, APIGroup, APIResourceList),
/// generated from the kind registry so that what kubectl discovers is exactly what the config API
/// serves, with the few resources served beside the store's kinds (<see cref="Extras"/>). Aggregated discovery (apidiscovery.k8s.io/v2) is not offered: kubectl asks for it first
/// in its Accept header and falls back to these when the answer is plain application/json.
/// </summary>
public static class DiscoveryDocuments
{
    /// <summary>Every verb the config API serves on every kind.</summary>
    private static readonly string[] Verbs = ["create", "delete", "get", "list", "patch", "update", "watch"];

    /// <summary>A resource served beside the store's kinds, with the verbs it takes.</summary>
    private sealed record Extra(string Group, string Version, string Plural, string Kind, bool Namespaced, string[] Verbs, string[] ShortNames);

    /// <summary>
    /// Istio's CRDs (read-only, as <c>kubectl get crd</c> lists them on a cluster with Istio) and
    /// events in both of Kubernetes' groups (created by the runtime, read by describe).
    /// </summary>
    private static readonly Extra[] Extras =
    [
        new("", "v1", "events", "Event", true, ["create", "get", "list"], ["ev"]),
        new("events.k8s.io", "v1", "events", "Event", true, ["get", "list"], ["ev"]),
        new("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false, ["get", "list"], ["crd", "crds"]),
    ];

    /// <summary>The API groups other than the core group, in registry order, each with its served versions (preferred first).</summary>
    public static IReadOnlyList<(string Group, IReadOnlyList<string> Versions)> Groups { get; } = KindRegistry.All
        .Where(k => k.ApiGroup.Length > 0)
        .Select(k => (k.ApiGroup, (IEnumerable<string>)k.Versions))
        .Concat(Extras.Where(e => e.Group.Length > 0).Select(e => (e.Group, (IEnumerable<string>)[e.Version])))
        .GroupBy(g => g.Item1)
        .Select(g => (g.Key, (IReadOnlyList<string>)g.SelectMany(k => k.Item2).Distinct().ToList()))
        .ToList();

    /// <summary>Whether <paramref name="group"/>/<paramref name="version"/> ("" for the core group) is served.</summary>
    public static bool Serves(string group, string version) =>
        KindsIn(group, version).Any() || Extras.Any(e => e.Group == group && e.Version == version);

    public static IEnumerable<KindInfo> KindsIn(string group, string version) =>
        KindRegistry.All.Where(k => k.ApiGroup == group && k.Versions.Contains(version));

    /// <summary><c>/api</c>: the core group's versions.</summary>
    public static JsonObject ApiVersions(string serverAddress) => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = serverAddress }),
    };

    /// <summary><c>/apis</c>: every named group.</summary>
    public static JsonObject GroupList()
    {
        var groups = new JsonArray();
        foreach (var (group, versions) in Groups) groups.Add(Group(group, versions));
        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
    }

    /// <summary><c>/apis/{group}</c>, or null when the group is not served.</summary>
    public static JsonObject? Group(string group)
    {
        foreach (var (name, versions) in Groups)
        {
            if (name == group)
            {
                var document = Group(name, versions);
                document["kind"] = "APIGroup";
                document["apiVersion"] = "v1";
                return document;
            }
        }
        return null;
    }

    /// <summary><c>/api/v1</c> or <c>/apis/{group}/{version}</c>: the resources of one group version.</summary>
    public static JsonObject ResourceList(string group, string version)
    {
        var resources = new JsonArray();
        foreach (var kind in KindsIn(group, version))
        {
            var resource = new JsonObject
            {
                ["name"] = kind.Plural,
                ["singularName"] = kind.SingularName,
                ["namespaced"] = kind.Namespaced,
                ["kind"] = kind.Kind,
                ["verbs"] = Strings(Verbs),
            };
            if (!kind.ShortNames.IsEmpty) resource["shortNames"] = Strings(kind.ShortNames);
            if (!kind.Categories.IsEmpty) resource["categories"] = Strings(kind.Categories);
            resources.Add(resource);
        }
        foreach (var extra in Extras.Where(e => e.Group == group && e.Version == version))
        {
            resources.Add(new JsonObject
            {
                ["name"] = extra.Plural,
                ["singularName"] = extra.Kind.ToLowerInvariant(),
                ["namespaced"] = extra.Namespaced,
                ["kind"] = extra.Kind,
                ["verbs"] = Strings(extra.Verbs),
                ["shortNames"] = Strings(extra.ShortNames),
            });
        }
        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}",
            ["resources"] = resources,
        };
    }

    private static JsonObject Group(string group, IReadOnlyList<string> versions)
    {
        var list = new JsonArray();
        foreach (var version in versions) list.Add(GroupVersion(group, version));
        return new JsonObject { ["name"] = group, ["versions"] = list, ["preferredVersion"] = GroupVersion(group, versions[0]) };
    }

    private static JsonObject GroupVersion(string group, string version) =>
        new() { ["groupVersion"] = $"{group}/{version}", ["version"] = version };

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());
}
