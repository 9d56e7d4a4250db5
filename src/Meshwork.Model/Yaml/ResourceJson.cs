using Meshwork.Model.Resources;

namespace Meshwork.Model.Yaml;

/// <summary>
/// Writes a resource as the Kubernetes-shaped JSON document a user would have written
/// (apiVersion, kind, metadata, spec[, status]). <see cref="ManifestReader.Read"/> reads it back to
/// an equal record: the store and the config API keep this form.
/// </summary>
public static class ResourceJson
{
    public static string Serialize(Resource resource)
        => throw new NotImplementedException("ResourceJson.Serialize is being written");
}
