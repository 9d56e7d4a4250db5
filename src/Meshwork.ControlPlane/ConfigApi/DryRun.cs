using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Meshwork.ControlPlane.ConfigApi;

/// <summary>
/// Kubernetes' <c>dryRun=All</c> on a write: the request is read and validated as usual, and the
/// object it would store is returned, but nothing is written. <c>kubectl diff</c> and
/// <c>apply --dry-run=server</c> rely on it, so a write that asks for a dry run must never land:
/// any other value is refused rather than taken for a real write.
/// </summary>
public static class DryRun
{
    /// <summary>True for <c>dryRun=All</c>, false without the parameter; throws <see cref="FormatException"/> otherwise.</summary>
    public static bool IsRequested(HttpRequest request)
    {
        var values = request.Query["dryRun"];
        if (values.Count == 0) return false;
        if (values.All(v => v == "All")) return true;
        throw new FormatException($"dryRun \"{values}\" is not supported: the only dry run is \"All\"");
    }

    /// <summary>
    /// A DELETE may carry DeleteOptions in its body instead (kubectl delete --dry-run=server does):
    /// <c>{"dryRun": ["All"]}</c>, with <c>preconditions.resourceVersion</c> for a delete that must
    /// hit that version. Throws <see cref="FormatException"/> for a body that is not DeleteOptions.
    /// </summary>
    public static (bool DryRun, string? ResourceVersion) ReadDeleteOptions(HttpRequest request, string body)
    {
        var dryRun = IsRequested(request);
        if (string.IsNullOrWhiteSpace(body)) return (dryRun, null);
        JsonNode? options;
        try
        {
            options = JsonNode.Parse(body);
        }
        catch (JsonException e)
        {
            throw new FormatException($"the DELETE body is not DeleteOptions JSON: {e.Message}");
        }
        if (options is not JsonObject o) throw new FormatException("the DELETE body is not a DeleteOptions object");
        if (o["dryRun"] is JsonNode values)
        {
            var list = values as JsonArray ?? throw new FormatException("DeleteOptions.dryRun must be a list");
            if (list.Count > 0)
            {
                if (!list.All(v => v is JsonValue value && value.TryGetValue<string>(out var text) && text == "All"))
                {
                    throw new FormatException($"DeleteOptions.dryRun {list.ToJsonString()} is not supported: the only dry run is \"All\"");
                }
                dryRun = true;
            }
        }
        var resourceVersion = o["preconditions"]?["resourceVersion"] is JsonValue rv && rv.TryGetValue<string>(out var version) ? version : null;
        return (dryRun, resourceVersion);
    }
}
