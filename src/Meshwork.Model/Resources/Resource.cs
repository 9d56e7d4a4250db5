using System.Collections.Immutable;

namespace Meshwork.Model.Resources;

/// <summary>Where a resource came from, so that every diagnostic can point at it.</summary>
public sealed record SourceLocation(string File, int Document, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column} (document {Document})";
}

/// <summary>Kubernetes object metadata. Labels and annotations are never null.</summary>
public sealed record ObjectMeta
{
    public required string Name { get; init; }
    /// <summary>Null until a default namespace is applied (apply -n, or "default").</summary>
    public string? Namespace { get; init; }
    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public ImmutableSortedDictionary<string, string> Annotations { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public DateTimeOffset? CreationTimestamp { get; init; }
    public string? ResourceVersion { get; init; }
    public string? Uid { get; init; }
    public long Generation { get; init; }
    /// <summary>Server-side apply's record of which manager owns which fields; empty until one applies.</summary>
    public ImmutableArray<ManagedFieldsEntry> ManagedFields { get; init; } = [];

    /// <summary>Structural: lists and maps compare by content.</summary>
    public bool Equals(ObjectMeta? other) =>
        other is not null
            && Name == other.Name
            && Namespace == other.Namespace
            && Equality.Map(Labels, other.Labels)
            && Equality.Map(Annotations, other.Annotations)
            && CreationTimestamp == other.CreationTimestamp
            && ResourceVersion == other.ResourceVersion
            && Uid == other.Uid
            && Generation == other.Generation
            && Equality.Seq(ManagedFields, other.ManagedFields);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Name);
        hash.Add(Namespace);
        hash.Add(Equality.Hash(Labels));
        hash.Add(Equality.Hash(Annotations));
        hash.Add(CreationTimestamp);
        hash.Add(ResourceVersion);
        hash.Add(Uid);
        hash.Add(Generation);
        hash.Add(Equality.Hash(ManagedFields));
        return hash.ToHashCode();
    }
}

/// <summary>
/// Base of every typed resource. <see cref="Kind"/> and <see cref="ApiVersion"/> are what the
/// document said (an Istio kind may arrive as v1alpha3, v1beta1 or v1).
/// </summary>
public abstract record Resource
{
    public required string ApiVersion { get; init; }
    public abstract string Kind { get; }
    public required ObjectMeta Metadata { get; init; }
    /// <summary>Where the resource was read from; null for resources built in code or read from the store.</summary>
    public SourceLocation? Source { get; init; }

    /// <summary>"Kind/namespace/name", the form every message uses.</summary>
    public string Ref => Metadata.Namespace is null ? $"{Kind}/{Metadata.Name}" : $"{Kind}/{Metadata.Namespace}/{Metadata.Name}";

    /// <summary>True for kinds that live in a namespace.</summary>
    public virtual bool IsNamespaced => true;

    /// <summary>
    /// Equal when kind, apiVersion, metadata and content are equal. <see cref="Source"/> is left out:
    /// the same object read from another file, or back from the store, is not a change.
    /// </summary>
    public virtual bool Equals(Resource? other) =>
        other is not null
            && (ReferenceEquals(this, other)
                || (EqualityContract == other.EqualityContract && ApiVersion == other.ApiVersion && Metadata == other.Metadata));

    public override int GetHashCode() => HashCode.Combine(EqualityContract, ApiVersion, Metadata);
}

/// <summary>A label selector with matchLabels only (Istio's WorkloadSelector, a Service selector).</summary>
public sealed record LabelSelector(ImmutableSortedDictionary<string, string> MatchLabels)
{
    public static readonly LabelSelector Empty = new(ImmutableSortedDictionary<string, string>.Empty);
    public bool IsEmpty => MatchLabels.Count == 0;

    /// <summary>Subset match: every selector label is on the target. An empty selector matches everything.</summary>
    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        foreach (var (key, value) in MatchLabels)
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value) return false;
        }
        return true;
    }

    /// <summary>Structural: lists and maps compare by content.</summary>
    public bool Equals(LabelSelector? other) =>
        other is not null
            && Equality.Map(MatchLabels, other.MatchLabels);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Equality.Hash(MatchLabels));
        return hash.ToHashCode();
    }
}
