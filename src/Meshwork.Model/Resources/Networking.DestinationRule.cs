using System.Collections.Immutable;

namespace Meshwork.Model.Resources;

public enum ClientTlsMode { Disable = 0, Simple = 1, Mutual = 2, IstioMutual = 3 }

public sealed record ClientTlsSettings
{
    public ClientTlsMode Mode { get; init; } = ClientTlsMode.Disable;
    public string? ClientCertificate { get; init; }
    public string? PrivateKey { get; init; }
    public string? CaCertificates { get; init; }
    public string? CredentialName { get; init; }
    public ImmutableArray<string> SubjectAltNames { get; init; } = [];
    public string? Sni { get; init; }
    public bool InsecureSkipVerify { get; init; }

    /// <summary>Structural: lists and maps compare by content.</summary>
    public bool Equals(ClientTlsSettings? other) =>
        other is not null
            && Mode == other.Mode
            && ClientCertificate == other.ClientCertificate
            && PrivateKey == other.PrivateKey
            && CaCertificates == other.CaCertificates
            && CredentialName == other.CredentialName
            && Equality.Seq(SubjectAltNames, other.SubjectAltNames)
            && Sni == other.Sni
            && InsecureSkipVerify == other.InsecureSkipVerify;

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Mode);
        hash.Add(ClientCertificate);
        hash.Add(PrivateKey);
        hash.Add(CaCertificates);
        hash.Add(CredentialName);
        hash.Add(Equality.Hash(SubjectAltNames));
        hash.Add(Sni);
        hash.Add(InsecureSkipVerify);
        return hash.ToHashCode();
    }
}

public sealed record PortTrafficPolicy
{
    public required int Port { get; init; }
    /// <summary>Null when the port entry sets no TLS.</summary>
    public ClientTlsSettings? Tls { get; init; }
}

public sealed record TrafficPolicy
{
    /// <summary>Null when the policy sets no TLS (auto mTLS may then apply).</summary>
    public ClientTlsSettings? Tls { get; init; }
    public ImmutableArray<PortTrafficPolicy> PortLevelSettings { get; init; } = [];

    /// <summary>Structural: lists and maps compare by content.</summary>
    public bool Equals(TrafficPolicy? other) =>
        other is not null
            && Tls == other.Tls
            && Equality.Seq(PortLevelSettings, other.PortLevelSettings);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Tls);
        hash.Add(Equality.Hash(PortLevelSettings));
        return hash.ToHashCode();
    }
}

public sealed record Subset
{
    public required string Name { get; init; }
    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public TrafficPolicy? TrafficPolicy { get; init; }

    /// <summary>Structural: lists and maps compare by content.</summary>
    public bool Equals(Subset? other) =>
        other is not null
            && Name == other.Name
            && Equality.Map(Labels, other.Labels)
            && TrafficPolicy == other.TrafficPolicy;

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Name);
        hash.Add(Equality.Hash(Labels));
        hash.Add(TrafficPolicy);
        return hash.ToHashCode();
    }
}

public sealed record DestinationRuleSpec
{
    public required string Host { get; init; }
    public TrafficPolicy? TrafficPolicy { get; init; }
    public ImmutableArray<Subset> Subsets { get; init; } = [];
    /// <summary>Empty means exported to every namespace.</summary>
    public ImmutableArray<string> ExportTo { get; init; } = [];
    public LabelSelector? WorkloadSelector { get; init; }

    /// <summary>Structural: lists and maps compare by content.</summary>
    public bool Equals(DestinationRuleSpec? other) =>
        other is not null
            && Host == other.Host
            && TrafficPolicy == other.TrafficPolicy
            && Equality.Seq(Subsets, other.Subsets)
            && Equality.Seq(ExportTo, other.ExportTo)
            && WorkloadSelector == other.WorkloadSelector;

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Host);
        hash.Add(TrafficPolicy);
        hash.Add(Equality.Hash(Subsets));
        hash.Add(Equality.Hash(ExportTo));
        hash.Add(WorkloadSelector);
        return hash.ToHashCode();
    }
}

public sealed record DestinationRule : Resource
{
    public override string Kind => "DestinationRule";
    public required DestinationRuleSpec Spec { get; init; }
}
