using System.Text.Json.Nodes;

namespace Meshwork.ControlPlane.ConfigApi.Patching;

/// <summary>
/// JSON Merge Patch (RFC 7386, <c>application/merge-patch+json</c>): objects merge member by
/// member, <c>null</c> removes a member, anything else (arrays included) replaces the target.
/// </summary>
public static class MergePatch
{
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        // RFC 7386 section 2: a patch that is not an object replaces the whole target.
        if (patch is not JsonObject patchObject) return patch?.DeepClone();
        var result = target is JsonObject targetObject ? (JsonObject)targetObject.DeepClone() : new JsonObject();
        foreach (var (name, value) in patchObject)
        {
            if (value is null) result.Remove(name);
            else result[name] = Apply(result.TryGetPropertyValue(name, out var existing) ? existing : null, value);
        }
        return result;
    }
}
