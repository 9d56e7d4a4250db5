using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Meshwork.ControlPlane.ConfigApi.OpenApi;
using Meshwork.Model.Schema;
using Meshwork.Model.Yaml;

namespace Meshwork.ControlPlane.Tests.ConfigApi.OpenApi;

/// <summary>
/// The schemas kubectl explain prints and the manifest reader agree: an object holding every field a
/// schema names, with every value its enumerations list, is read without an unknown field, an
/// unenforced field or a refused enumeration value.
/// </summary>
public sealed partial class MeshKindSchemasTests
{
    public static TheoryData<string> MeshKinds()
    {
        var kinds = new TheoryData<string>();
        foreach (var kind in KindRegistry.All.Where(k => MeshKindSchemas.Spec(k.Kind) is not null)) kinds.Add(kind.Kind);
        return kinds;
    }

    [Theory]
    [MemberData(nameof(MeshKinds))]
    public void Every_field_the_schema_names_is_one_the_reader_reads_and_enforces(string kindName)
    {
        var kind = KindRegistry.All.Single(k => k.Kind == kindName);
        var schema = MeshKindSchemas.For(kind);
        var enumPaths = new HashSet<string>(StringComparer.Ordinal);
        var widest = 1;
        Collect(schema["properties"]!["spec"]!.AsObject(), "spec", enumPaths, ref widest);
        Assert.NotEmpty(schema["properties"]!["spec"]!["properties"]!.AsObject());

        for (var variant = 0; variant < widest; variant++)
        {
            var document = new JsonObject
            {
                ["apiVersion"] = kind.PreferredApiVersion,
                ["kind"] = kind.Kind,
                ["metadata"] = new JsonObject { ["name"] = "every-field", ["namespace"] = "foo" },
                ["spec"] = Example(schema["properties"]!["spec"]!.AsObject(), variant),
            };
            var read = ManifestReader.Read(document.ToJsonString(), "schema example", "foo");
            var disagreements = read.Diagnostics.Where(d =>
                d.Message.StartsWith("unknown field", StringComparison.Ordinal)
                || d.Message.Contains("not enforced", StringComparison.Ordinal)
                || enumPaths.Contains(WithoutIndexes(d.Path))).ToList();
            Assert.True(disagreements.Count == 0, $"{kind.Kind} (variant {variant}):\n{string.Join('\n', disagreements)}\n{document}");
        }
    }

    [Fact]
    public void Every_field_has_a_description_and_a_type_kubectl_explain_can_print()
    {
        foreach (var kind in KindRegistry.All)
        {
            var schema = MeshKindSchemas.For(kind);
            foreach (var (path, field) in Fields(schema, kind.Kind))
            {
                Assert.False(string.IsNullOrWhiteSpace(field["description"]?.GetValue<string>()), $"{path} has no description");
                Assert.Contains(field["type"]?.GetValue<string>(), (string?[])["object", "array", "string", "integer", "boolean", "number"]);
            }
        }
    }

    private static IEnumerable<(string Path, JsonObject Field)> Fields(JsonObject schema, string path)
    {
        foreach (var (name, child) in schema["properties"]?.AsObject() ?? [])
        {
            yield return ($"{path}.{name}", child!.AsObject());
            foreach (var nested in Fields(Values(child.AsObject()), $"{path}.{name}")) yield return nested;
        }
    }

    /// <summary>The schema of an array's items or a map's values, else the schema itself.</summary>
    private static JsonObject Values(JsonObject schema) =>
        schema["items"] as JsonObject ?? schema["additionalProperties"] as JsonObject ?? schema;

    private static void Collect(JsonObject schema, string path, HashSet<string> enumPaths, ref int widest)
    {
        if (schema["enum"] is JsonArray values)
        {
            enumPaths.Add(path);
            widest = Math.Max(widest, values.Count);
        }
        foreach (var (name, child) in schema["properties"]?.AsObject() ?? []) Collect(child!.AsObject(), $"{path}.{name}", enumPaths, ref widest);
        if (schema["items"] is JsonObject items) Collect(items, path, enumPaths, ref widest);
        if (schema["additionalProperties"] is JsonObject map) Collect(map, path, enumPaths, ref widest);
    }

    /// <summary>A value for every field; enumerations take their values in turn, one per variant.</summary>
    private static JsonNode Example(JsonObject schema, int variant)
    {
        if (schema["properties"] is JsonObject properties)
        {
            var o = new JsonObject();
            foreach (var (name, child) in properties) o[name] = Example(child!.AsObject(), variant);
            return o;
        }
        // A numeric key: portLevelMtls is keyed by port, and any other map takes it as a name.
        if (schema["additionalProperties"] is JsonObject map) return new JsonObject { ["8080"] = Example(map, variant) };
        return schema["type"]?.GetValue<string>() switch
        {
            "array" => new JsonArray(Example(schema["items"]!.AsObject(), variant)),
            "integer" => 8080,
            "number" => 50,
            "boolean" => true,
            _ when schema["enum"] is JsonArray values => values[variant % values.Count]!.DeepClone(),
            _ => "example",
        };
    }

    private static string WithoutIndexes(string path) => Regex.Replace(path, @"\[[^\]]*\]", "");
}
