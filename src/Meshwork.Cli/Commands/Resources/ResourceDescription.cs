using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Meshwork.Model.Resources;
using Meshwork.Model.Yaml;
using Meshwork.Cli.Output;

namespace Meshwork.Cli.Commands.Resources;

/// <summary>kubectl describe's layout: aligned metadata fields, then the rest of the object as indented YAML.</summary>
internal static class ResourceDescription
{
    public static string Describe(Resource resource)
    {
        var text = new StringBuilder();
        void Field(string name, string value) => text.Append(CultureInfo.InvariantCulture, $"{(name + ":").PadRight(14)}{value}\n");
        static string Map(IReadOnlyDictionary<string, string> map, int indent) =>
            map.Count == 0 ? "<none>" : string.Join("\n" + new string(' ', indent), map.Select(kv => $"{kv.Key}={kv.Value}"));

        Field("Name", resource.Metadata.Name);
        if (resource.IsNamespaced) Field("Namespace", resource.Metadata.Namespace ?? "");
        Field("Labels", Map(resource.Metadata.Labels, 14));
        Field("Annotations", Map(resource.Metadata.Annotations, 14));
        Field("API Version", resource.ApiVersion);
        Field("Kind", resource.Kind);
        if (resource.Metadata.CreationTimestamp is { } created) Field("Created", created.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        Field("UID", resource.Metadata.Uid ?? "");
        Field("Generation", resource.Metadata.Generation.ToString(CultureInfo.InvariantCulture));
        Field("Version", resource.Metadata.ResourceVersion ?? "");
        if (JsonNode.Parse(ResourceJson.Serialize(resource)) is JsonObject json)
        {
            foreach (var (key, value) in json)
            {
                if (key is "apiVersion" or "kind" or "metadata" || value is null) continue;
                var title = char.ToUpperInvariant(key[0]) + key[1..];
                if (value is JsonObject or JsonArray)
                {
                    text.Append(title).Append(":\n");
                    foreach (var line in OutputYaml.Write(value).TrimEnd('\n').Split('\n')) text.Append("  ").Append(line).Append('\n');
                }
                else
                {
                    Field(title, value.ToString());
                }
            }
        }
        text.Append("Events:       <none>\n");
        return text.ToString();
    }
}
