using System.Text.RegularExpressions;

namespace Meshwork.Store;

/// <summary>Kubernetes name rules (RFC 1123 labels and subdomains, qualified label keys).</summary>
public static partial class ResourceNames
{
    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1123Label();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Dns1123Subdomain();

    [GeneratedRegex("^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")]
    private static partial Regex QualifiedNamePart();

    /// <summary>A namespace name: at most 63 characters, lowercase letters, digits and '-'.</summary>
    public static bool IsDns1123Label(string value) => value.Length is > 0 and <= 63 && Dns1123Label().IsMatch(value);

    /// <summary>An object name: at most 253 characters, lowercase letters, digits, '-' and '.'.</summary>
    public static bool IsDns1123Subdomain(string value) => value.Length is > 0 and <= 253 && Dns1123Subdomain().IsMatch(value);

    /// <summary>A label or annotation key: an optional DNS subdomain prefix and '/', then a name of at most 63 characters.</summary>
    public static bool IsQualifiedName(string value)
    {
        var slash = value.LastIndexOf('/');
        var name = slash < 0 ? value : value[(slash + 1)..];
        if (slash >= 0 && !IsDns1123Subdomain(value[..slash])) return false;
        return name.Length is > 0 and <= 63 && QualifiedNamePart().IsMatch(name);
    }

    /// <summary>A label value: empty, or at most 63 characters of letters, digits, '-', '_' and '.', starting and ending alphanumeric.</summary>
    public static bool IsLabelValue(string value) => value.Length == 0 || (value.Length <= 63 && QualifiedNamePart().IsMatch(value));
}
