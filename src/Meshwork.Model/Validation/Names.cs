using System.Text.RegularExpressions;

namespace Meshwork.Model.Validation;

/// <summary>Kubernetes' name formats (k8s.io/apimachinery validation), with the messages it gives.</summary>
public static partial class Names
{
    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1123LabelRegex();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Dns1123SubdomainRegex();

    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1035LabelRegex();

    [GeneratedRegex("^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")]
    private static partial Regex QualifiedNamePartRegex();

    [GeneratedRegex("^[-._a-zA-Z0-9]+$")]
    private static partial Regex ConfigKeyRegex();

    [GeneratedRegex("^(\\*|\\*?[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)$")]
    private static partial Regex WildcardLabelRegex();

    [GeneratedRegex("^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$")]
    private static partial Regex HostLabelRegex();

    /// <summary>
    /// A service host as Istio accepts it (ValidateWildcardDomain): DNS labels, where only the first
    /// may be a wildcard ("*" or "*suffix"), at most 255 characters.
    /// </summary>
    public static string? WildcardDomain(string value)
    {
        if (value.Length == 0) return "must not be empty";
        if (value.Length > 255) return "must be no more than 255 characters";
        var labels = value.Split('.');
        for (var i = 0; i < labels.Length; i++)
        {
            var label = labels[i];
            var ok = label.Length <= 63 && (i == 0 ? WildcardLabelRegex().IsMatch(label) : HostLabelRegex().IsMatch(label));
            if (!ok) return $"label \"{label}\" is invalid";
        }
        return null;
    }

    /// <summary>Null when valid, else what is wrong.</summary>
    public static string? Dns1123Label(string value)
    {
        if (value.Length > 63) return "must be no more than 63 characters";
        return Dns1123LabelRegex().IsMatch(value) ? null : "must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
    }

    public static string? Dns1123Subdomain(string value)
    {
        if (value.Length > 253) return "must be no more than 253 characters";
        return Dns1123SubdomainRegex().IsMatch(value) ? null : "must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
    }

    public static string? Dns1035Label(string value)
    {
        if (value.Length > 63) return "must be no more than 63 characters";
        return Dns1035LabelRegex().IsMatch(value) ? null : "must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
    }

    /// <summary>A label or annotation key: an optional DNS subdomain prefix and '/', then a name of at most 63 characters.</summary>
    public static string? QualifiedName(string value)
    {
        var slash = value.IndexOf('/');
        var name = value;
        if (slash >= 0)
        {
            var prefix = value[..slash];
            name = value[(slash + 1)..];
            if (prefix.Length == 0) return "prefix part must be non-empty";
            if (Dns1123Subdomain(prefix) is { } prefixError) return $"prefix part {prefixError}";
        }
        if (name.Length == 0) return "name part must be non-empty";
        if (name.Length > 63) return "name part must be no more than 63 characters";
        return QualifiedNamePartRegex().IsMatch(name) ? null : "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
    }

    public static string? LabelValue(string value)
    {
        if (value.Length == 0) return null;
        if (value.Length > 63) return "must be no more than 63 characters";
        return QualifiedNamePartRegex().IsMatch(value) ? null : "must be empty or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
    }

    /// <summary>IANA_SVC_NAME: a named port (at most 15 characters, lower case, at least one letter).</summary>
    public static string? PortName(string value)
    {
        if (value.Length > 15) return "must be no more than 15 characters";
        if (!value.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-')) return "must contain only lower case alphanumeric characters or '-'";
        if (!value.Any(c => c is >= 'a' and <= 'z')) return "must contain at least one letter";
        if (value.Contains("--", StringComparison.Ordinal)) return "must not contain consecutive hyphens";
        if (value.StartsWith('-') || value.EndsWith('-')) return "must not begin or end with a hyphen";
        return null;
    }

    public static string? ConfigKey(string value)
    {
        if (value.Length > 253) return "must be no more than 253 characters";
        if (value is "." or "..") return "must not be '.' or '..'";
        return ConfigKeyRegex().IsMatch(value) ? null : "must consist of alphanumeric characters, '-', '_' or '.'";
    }
}
