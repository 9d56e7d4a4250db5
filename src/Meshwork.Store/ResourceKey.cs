using Meshwork.Model.Resources;

namespace Meshwork.Store;

/// <summary>Identifies one stored object. <see cref="Namespace"/> is null for cluster-scoped kinds (Namespace).</summary>
public sealed record ResourceKey(string Kind, string? Namespace, string Name)
{
    public static ResourceKey Of(Resource resource) =>
        new(resource.Kind, resource.IsNamespaced ? resource.Metadata.Namespace : null, resource.Metadata.Name);

    /// <summary>kubectl's phrasing: <c>peerauthentication "default" in namespace "foo"</c>.</summary>
    public string Describe() => Namespace is null
        ? $"{Kind.ToLowerInvariant()} \"{Name}\""
        : $"{Kind.ToLowerInvariant()} \"{Name}\" in namespace \"{Namespace}\"";

    public override string ToString() => Namespace is null ? $"{Kind}/{Name}" : $"{Kind}/{Namespace}/{Name}";
}
