using System.Globalization;
using System.Text.Json.Nodes;
using Meshwork.Model.Resources;
using Meshwork.Model.Yaml;

namespace Meshwork.Store;

/// <summary>What every backend does to an object on its way in: normalize, validate, stamp server-set metadata.</summary>
internal static class WriteRules
{
    /// <summary>Drops what the store does not keep: the source location, and a namespace on a cluster-scoped kind.</summary>
    public static Resource Normalize(Resource resource)
    {
        var normalized = resource.Source is null ? resource : resource with { Source = null };
        if (!normalized.IsNamespaced && normalized.Metadata.Namespace is not null)
        {
            normalized = normalized with { Metadata = normalized.Metadata with { Namespace = null } };
        }
        return normalized;
    }

    /// <summary>Checks names, namespaces, label and annotation keys of every object; throws Invalid listing every problem.</summary>
    public static void Validate(IReadOnlyList<Resource> resources)
    {
        var causes = new List<StoreCause>();
        for (var i = 0; i < resources.Count; i++)
        {
            var index = resources.Count == 1 ? (int?)null : i;
            var resource = resources[i];
            var name = resource.Metadata.Name;
            if (string.IsNullOrEmpty(name))
            {
                causes.Add(new StoreCause(index, "metadata.name", $"{resource.Kind}: name is required"));
            }
            else if (resource is Namespace ? !ResourceNames.IsDns1123Label(name) : !ResourceNames.IsDns1123Subdomain(name))
            {
                causes.Add(new StoreCause(index, "metadata.name",
                    $"{resource.Kind} \"{name}\": a lowercase RFC 1123 {(resource is Namespace ? "label" : "subdomain")} must consist of lower case alphanumeric characters, '-'{(resource is Namespace ? "" : " or '.'")}, and must start and end with an alphanumeric character (e.g. 'my-name')"));
            }
            if (resource.IsNamespaced)
            {
                var ns = resource.Metadata.Namespace;
                if (string.IsNullOrEmpty(ns))
                {
                    causes.Add(new StoreCause(index, "metadata.namespace", $"{resource.Kind} \"{name}\": namespace is required"));
                }
                else if (!ResourceNames.IsDns1123Label(ns))
                {
                    causes.Add(new StoreCause(index, "metadata.namespace", $"{resource.Kind} \"{name}\": namespace \"{ns}\" is not a valid namespace name (lowercase letters, digits and '-')"));
                }
            }
            foreach (var (key, value) in resource.Metadata.Labels)
            {
                if (!ResourceNames.IsQualifiedName(key))
                {
                    causes.Add(new StoreCause(index, $"metadata.labels", $"{resource.Kind} \"{name}\": \"{key}\" is not a valid label key"));
                }
                if (!ResourceNames.IsLabelValue(value))
                {
                    causes.Add(new StoreCause(index, $"metadata.labels", $"{resource.Kind} \"{name}\": \"{value}\" is not a valid value for label \"{key}\" (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)"));
                }
            }
            foreach (var key in resource.Metadata.Annotations.Keys)
            {
                if (!ResourceNames.IsQualifiedName(key))
                {
                    causes.Add(new StoreCause(index, $"metadata.annotations", $"{resource.Kind} \"{name}\": \"{key}\" is not a valid annotation key"));
                }
            }
        }
        if (causes.Count > 0)
        {
            var first = resources[causes[0].Index ?? 0];
            throw new StoreException(StoreErrorKind.Invalid,
                causes.Count == 1 ? causes[0].Message : $"{causes.Count} objects or fields are invalid; nothing was changed",
                causes, ResourceKey.Of(first));
        }
    }

    /// <summary>
    /// The object as it will be stored at <paramref name="revision"/>: uid, creationTimestamp and
    /// (when the write names none) managedFields kept from <paramref name="existing"/> (or new), generation bumped when the object's content
    /// outside metadata and status changed.
    /// </summary>
    public static Resource Stamp(Resource resource, Resource? existing, long revision, DateTimeOffset now)
    {
        var metadata = resource.Metadata with
        {
            ResourceVersion = revision.ToString(CultureInfo.InvariantCulture),
            Uid = existing?.Metadata.Uid ?? Guid.NewGuid().ToString(),
            CreationTimestamp = existing?.Metadata.CreationTimestamp ?? TruncateToSeconds(now),
            Generation = existing is null ? 1 : existing.Metadata.Generation,
            // A write that names no field managers keeps the object's (Kubernetes does the same when an
            // update leaves metadata.managedFields out), so a later server-side apply still sees them.
            ManagedFields = resource.Metadata.ManagedFields.IsDefaultOrEmpty && existing is not null
                ? existing.Metadata.ManagedFields
                : resource.Metadata.ManagedFields,
        };
        var stamped = resource with { Metadata = metadata };
        if (existing is not null && !JsonNode.DeepEquals(Content(stamped), Content(existing)))
        {
            stamped = stamped with { Metadata = metadata with { Generation = existing.Metadata.Generation + 1 } };
        }
        return stamped;
    }

    /// <summary>
    /// <paramref name="incoming"/> with the status of <paramref name="existing"/>: status is written
    /// by whoever runs the object (the runtime), never by an apply.
    /// </summary>
    public static Resource KeepStatus(Resource incoming, Resource existing)
    {
        var status = incoming.GetType().GetProperty("Status");
        if (status is null || !status.CanWrite || existing.GetType() != incoming.GetType()) return incoming;
        var copy = incoming with { };
        status.SetValue(copy, status.GetValue(existing));
        return copy;
    }

    /// <summary>True when writing <paramref name="next"/> would change nothing but the resourceVersion.</summary>
    public static bool IsUnchanged(Resource next, Resource existing)
    {
        var candidate = next with { Metadata = next.Metadata with { ResourceVersion = existing.Metadata.ResourceVersion } };
        return candidate.GetType() == existing.GetType()
            && candidate.ApiVersion == existing.ApiVersion
            && ResourceJson.Serialize(candidate) == ResourceJson.Serialize(existing);
    }

    /// <summary>The document without metadata and status: what generation counts changes of.</summary>
    private static JsonNode? Content(Resource resource)
    {
        var node = JsonNode.Parse(ResourceJson.Serialize(resource));
        if (node is JsonObject obj)
        {
            obj.Remove("metadata");
            obj.Remove("status");
            obj.Remove("apiVersion");
        }
        return node;
    }

    // Kubernetes timestamps have second precision (RFC 3339 without fractions).
    private static DateTimeOffset TruncateToSeconds(DateTimeOffset time) =>
        new(time.Ticks - time.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
}
