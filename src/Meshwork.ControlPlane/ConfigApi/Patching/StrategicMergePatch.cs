using System.Text.Json.Nodes;

namespace Meshwork.ControlPlane.ConfigApi.Patching;

/// <summary>
/// Kubernetes' strategic merge patch (<c>application/strategic-merge-patch+json</c>) for the core
/// kinds: a JSON merge patch (RFC 7386) in which the lists that Kubernetes merges by key
/// (containers and volumes by name, container ports by containerPort, Service ports by port, …)
/// merge item by item, and the directives kubectl sends are honoured: <c>$patch: replace|delete</c>,
/// <c>$setElementOrder/&lt;list&gt;</c>, <c>$deleteFromPrimitiveList/&lt;list&gt;</c> and
/// <c>$retainKeys</c>. Lists the table does not name are replaced whole, as a merge patch does.
/// </summary>
public static class StrategicMergePatch
{
    /// <summary>List field → the candidate merge keys of its items (Kubernetes' patchMergeKey tags), first present wins.</summary>
    private static readonly Dictionary<string, string[]> MergeKeys = new(StringComparer.Ordinal)
    {
        ["containers"] = ["name"],
        ["initContainers"] = ["name"],
        ["ephemeralContainers"] = ["name"],
        ["env"] = ["name"],
        ["volumes"] = ["name"],
        ["volumeMounts"] = ["mountPath"],
        ["volumeDevices"] = ["devicePath"],
        ["imagePullSecrets"] = ["name"],
        ["hostAliases"] = ["ip"],
        ["ports"] = ["containerPort", "port"],
    };

    private const string SetElementOrder = "$setElementOrder/";
    private const string DeleteFromPrimitiveList = "$deleteFromPrimitiveList/";

    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject) return patch?.DeepClone();
        var directive = (patchObject["$patch"] as JsonValue)?.GetValue<string>();
        if (directive == "delete") return null;
        if (directive == "replace") return WithoutDirectives(patchObject);
        if (directive is not null) throw new FormatException($"unknown $patch directive \"{directive}\" (replace, delete)");

        var result = target is JsonObject targetObject ? (JsonObject)targetObject.DeepClone() : new JsonObject();
        foreach (var (name, value) in patchObject)
        {
            if (name.StartsWith('$')) continue;
            if (value is null)
            {
                result.Remove(name);
                continue;
            }
            var existing = result.TryGetPropertyValue(name, out var current) ? current : null;
            var merged = value is JsonArray list && existing is JsonArray currentList && KeyOf(name, list, currentList) is { } key
                ? MergeList(currentList, list, key)
                : Apply(existing, value);
            if (merged is null) result.Remove(name);
            else result[name] = merged;
        }
        foreach (var (name, value) in patchObject)
        {
            if (name.StartsWith(DeleteFromPrimitiveList, StringComparison.Ordinal) && value is JsonArray removed
                && result[name[DeleteFromPrimitiveList.Length..]] is JsonArray primitives)
            {
                foreach (var item in primitives.Where(p => removed.Any(r => JsonNode.DeepEquals(p, r))).ToList()) primitives.Remove(item);
            }
            else if (name.StartsWith(SetElementOrder, StringComparison.Ordinal) && value is JsonArray order
                && result[name[SetElementOrder.Length..]] is JsonArray items)
            {
                Reorder(items, order);
            }
        }
        if (patchObject["$retainKeys"] is JsonArray retain)
        {
            var keep = retain.Select(k => k?.GetValue<string>()).ToHashSet();
            foreach (var name in result.Select(p => p.Key).Where(n => !keep.Contains(n)).ToList()) result.Remove(name);
        }
        return result;
    }

    private static string? KeyOf(string field, JsonArray patch, JsonArray current)
    {
        if (!MergeKeys.TryGetValue(field, out var candidates)) return null;
        if (!patch.Concat(current).All(i => i is JsonObject)) return null;
        return candidates.FirstOrDefault(k => patch.Concat(current).All(i => ((JsonObject)i!).ContainsKey(k) || i!["$patch"] is not null));
    }

    private static JsonArray MergeList(JsonArray current, JsonArray patch, string key)
    {
        var result = (JsonArray)current.DeepClone();
        foreach (var item in patch.Cast<JsonObject>())
        {
            var match = result.FirstOrDefault(r => JsonNode.DeepEquals(r![key], item[key]));
            var merged = Apply(match, item);
            if (match is not null)
            {
                var at = result.IndexOf(match);
                result.RemoveAt(at);
                if (merged is not null) result.Insert(at, merged);
            }
            else if (merged is not null)
            {
                result.Add(merged);
            }
        }
        return result;
    }

    /// <summary>Puts items in the order the patch lists their keys; items it does not list keep their place after those it does.</summary>
    private static void Reorder(JsonArray items, JsonArray order)
    {
        int Rank(JsonNode? item)
        {
            for (var i = 0; i < order.Count; i++)
            {
                if (order[i] is JsonObject keys ? keys.All(k => JsonNode.DeepEquals(item?[k.Key], k.Value)) : JsonNode.DeepEquals(item, order[i])) return i;
            }
            return order.Count;
        }
        var sorted = items.Select((item, index) => (item, index)).OrderBy(p => Rank(p.item)).ThenBy(p => p.index).Select(p => p.item?.DeepClone()).ToList();
        items.Clear();
        foreach (var item in sorted) items.Add(item);
    }

    private static JsonObject WithoutDirectives(JsonObject patch)
    {
        var copy = new JsonObject();
        foreach (var (name, value) in patch)
        {
            if (!name.StartsWith('$')) copy[name] = value?.DeepClone();
        }
        return copy;
    }
}
