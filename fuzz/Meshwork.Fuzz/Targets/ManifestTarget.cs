using System.Text;
using Meshwork.Model.Yaml;

namespace Meshwork.Fuzz.Targets;

/// <summary>
/// A manifest as `meshwork apply -f` and the config API read it: YAML or JSON, several documents, with the
/// reader's limits on depth and on size after aliases. Reading must never throw; what it accepts must survive
/// the store's JSON round trip unchanged, or a resource would change meaning on its way through the store.
/// </summary>
internal sealed class ManifestTarget : FuzzTarget
{
    public override void Run(ReadOnlySpan<byte> input)
    {
        var text = Encoding.UTF8.GetString(input);
        var result = ManifestReader.Read(text, "fuzz.yaml", "default");
        foreach (var resource in result.Resources)
        {
            var json = ResourceJson.Serialize(resource);
            var back = ManifestReader.Read(json, "store.json");
            if (back.HasErrors)
                throw new InvariantBrokenException($"{resource.Ref} does not read back from its JSON: {back.Errors.First()}\n{json}");
            if (back.Resources.Length != 1 || !back.Resources[0].Equals(resource))
                throw new InvariantBrokenException($"{resource.Ref} reads back from its JSON as something else:\n{json}\n{(back.Resources.Length == 1 ? ResourceJson.Serialize(back.Resources[0]) : "")}");
        }
    }
}
