using System.Text.Json.Nodes;

namespace Meshwork.ControlPlane.ConfigApi.Patching;

/// <summary>The three patch formats Kubernetes serves, chosen by the request's Content-Type.</summary>
public static class PatchType
{
    public const string Json = "application/json-patch+json";
    public const string Merge = "application/merge-patch+json";
    public const string Strategic = "application/strategic-merge-patch+json";

    /// <summary>
    /// Applies <paramref name="patch"/> to <paramref name="target"/> as <paramref name="contentType"/>
    /// says, or returns null when the type is not one of the three (the caller answers 415).
    /// Throws <see cref="FormatException"/> when the patch cannot apply.
    /// </summary>
    public static JsonNode? TryApply(string? contentType, JsonNode target, JsonNode? patch)
    {
        var mediaType = (contentType ?? "").Split(';')[0].Trim().ToLowerInvariant();
        return mediaType switch
        {
            Json => JsonPatch.Apply(target, patch),
            Merge => MergePatch.Apply(target, patch) ?? throw new FormatException("a merge patch cannot delete the whole object"),
            Strategic => StrategicMergePatch.Apply(target, patch) ?? throw new FormatException("a strategic merge patch cannot delete the whole object"),
            _ => null,
        };
    }
}
