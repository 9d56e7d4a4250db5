using Meshwork.Model.Resources;
using Meshwork.Model.Yaml.Reading;

namespace Meshwork.Model.Validation;

/// <summary>metadata: a name in the format the kind requires, a valid namespace, valid label and annotation keys.</summary>
internal sealed class MetadataValidator : ResourceValidator
{
    public override void Validate(Resource resource, ReadContext ctx)
    {
        var meta = resource.Metadata;
        if (string.IsNullOrEmpty(meta.Name))
        {
            // When metadata itself is missing or not an object, that was reported already.
            if (ctx.NodeAt("metadata") is MappingNode && !ctx.Has("metadata.name"))
            {
                ctx.Error("metadata.name", "missing metadata.name", "every resource needs a name: metadata: {name: my-name}");
            }
            else if (ctx.Has("metadata.name"))
            {
                ctx.Error("metadata.name", "metadata.name must not be empty");
            }
        }
        else
        {
            var (format, problem) = resource switch
            {
                Namespace => ("a DNS-1123 label", Names.Dns1123Label(meta.Name)),
                Service => ("a DNS-1035 label", Names.Dns1035Label(meta.Name)),
                _ => ("a DNS-1123 subdomain", Names.Dns1123Subdomain(meta.Name)),
            };
            if (problem is not null)
            {
                ctx.Error("metadata.name", $"invalid name \"{meta.Name}\": {problem}", $"a {resource.Kind} name must be {format}, e.g. my-name");
            }
        }
        if (meta.Namespace is { } ns)
        {
            if (!resource.IsNamespaced && ctx.Has("metadata.namespace"))
            {
                ctx.Warning("metadata.namespace", $"{resource.Kind} is not namespaced; metadata.namespace is ignored");
            }
            else if (Names.Dns1123Label(ns) is { } nsProblem)
            {
                ctx.Error("metadata.namespace", $"invalid namespace \"{ns}\": {nsProblem}");
            }
        }
        Labels(ctx, "metadata.labels", meta.Labels);
        Labels(ctx, "metadata.annotations", meta.Annotations, checkValues: false);
    }
}

/// <summary>ConfigMap and Secret keys: alphanumerics, '-', '_' and '.'.</summary>
internal sealed class DataKeysValidator : ResourceValidator
{
    public override void Validate(Resource resource, ReadContext ctx)
    {
        IEnumerable<string> keys = resource switch
        {
            ConfigMap cm => cm.Data.Keys,
            Secret s => s.Data.Keys,
            _ => [],
        };
        foreach (var key in keys)
        {
            if (Names.ConfigKey(key) is { } problem)
            {
                var path = ctx.Has($"stringData[{key}]") ? $"stringData[{key}]" : $"data[{key}]";
                ctx.Error(path, $"invalid key \"{key}\": {problem}");
            }
        }
    }
}
