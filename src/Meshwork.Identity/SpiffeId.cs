using System.Diagnostics.CodeAnalysis;

namespace Meshwork.Identity;

/// <summary>A workload identity: spiffe://&lt;trust-domain&gt;/ns/&lt;namespace&gt;/sa/&lt;service-account&gt;.</summary>
public readonly record struct SpiffeId(string TrustDomain, string Namespace, string ServiceAccount)
{
    public const string Scheme = "spiffe://";

    public string Uri => $"{Scheme}{TrustDomain}/ns/{Namespace}/sa/{ServiceAccount}";

    /// <summary>The form AuthorizationPolicy principals use: without the scheme.</summary>
    public string Principal => $"{TrustDomain}/ns/{Namespace}/sa/{ServiceAccount}";

    public override string ToString() => Uri;

    public static SpiffeId Parse(string uri) =>
        TryParse(uri, out var id) ? id : throw new FormatException($"'{uri}' is not a SPIFFE ID of the form spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>");

    public static bool TryParse([NotNullWhen(true)] string? uri, out SpiffeId id)
    {
        id = default;
        if (uri is null || !uri.StartsWith(Scheme, StringComparison.Ordinal)) return false;
        var parts = uri[Scheme.Length..].Split('/');
        if (parts.Length != 5 || parts[1] != "ns" || parts[3] != "sa") return false;
        if (parts[0].Length == 0 || parts[2].Length == 0 || parts[4].Length == 0) return false;
        id = new SpiffeId(parts[0], parts[2], parts[4]);
        return true;
    }
}
