using System.Text.Json.Nodes;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Yaml.Reading;

/// <summary>metadata.managedFields, as server-side apply writes it and the store keeps it.</summary>
internal static class ManagedFieldsReader
{
    /// <summary>One entry of metadata.managedFields; its FieldsV1 set kept as canonical JSON.</summary>
    public static ManagedFieldsEntry Entry(MapReader m)
    {
        var entry = new ManagedFieldsEntry
        {
            Manager = m.String("manager") ?? "",
            Operation = m.EnumString("operation", [ManagedFieldsEntry.ApplyOperation, ManagedFieldsEntry.UpdateOperation]) ?? ManagedFieldsEntry.UpdateOperation,
            ApiVersion = m.String("apiVersion") ?? "",
            Time = CoreReaders.Timestamp(m, "time"),
            FieldsV1 = FieldSetJson(m.Raw("fieldsV1"), m.Child("fieldsV1"), m.Context),
        };
        m.EnumString("fieldsType", ["FieldsV1"]);
        m.Accept("subresource");
        m.Finish();
        return entry;
    }

    /// <summary>A FieldsV1 set (objects nested in objects) as JSON with its keys in ordinal order.</summary>
    private static string FieldSetJson(Node? node, string path, ReadContext ctx)
    {
        static JsonObject? Canonical(Node node, string path, ReadContext ctx)
        {
            if (node is ScalarNode { IsNull: true }) return [];
            if (node is not MappingNode map)
            {
                ctx.Error(node, path, $"expected a field set (an object of objects), got {ReadContext.Describe(node)}", "fieldsV1 is written by the server: leave it out");
                return null;
            }
            var o = new JsonObject();
            foreach (var (key, value) in map.Entries.OrderBy(e => e.Key.Value, StringComparer.Ordinal))
            {
                if (Canonical(value, $"{path}.{key.Value}", ctx) is not { } child) return null;
                o[key.Value] = child;
            }
            return o;
        }
        return node is null ? "{}" : Canonical(node, path, ctx)?.ToJsonString() ?? "{}";
    }
}
