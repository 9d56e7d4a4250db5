using System.Collections.Immutable;

namespace Meshwork.ProxyProtocol.ControlPlaneApi;

/// <summary>
/// The control-plane replicas a client may talk to, in the order it tries them: one https:// URL, or
/// several separated by commas (<c>https://10.0.0.1:8443,https://10.0.0.2:8443</c>), as
/// <c>MESHWORK_CONTROL_PLANE</c> and <c>--server</c> accept them. Every replica serves the same mesh
/// (they share one store), so any of them will do; <see cref="ControlPlaneFailover"/> picks one.
/// </summary>
public sealed class ControlPlaneAddresses : IEquatable<ControlPlaneAddresses>
{
    /// <summary>More replicas than this is a mistake in the list, not a deployment.</summary>
    public const int MaxCount = 16;

    private ControlPlaneAddresses(ImmutableArray<Uri> all) => All = all;

    /// <summary>At least one, at most <see cref="MaxCount"/>, each an absolute https:// URL, none twice.</summary>
    public ImmutableArray<Uri> All { get; }

    public int Count => All.Length;

    /// <summary>The first replica: where a client starts.</summary>
    public Uri First => All[0];

    /// <summary>A list of one: a single control plane.</summary>
    public static implicit operator ControlPlaneAddresses(Uri single) => FromUri(single);

    public static ControlPlaneAddresses FromUri(Uri single)
    {
        ArgumentNullException.ThrowIfNull(single);
        if (Check(single) is { } problem) throw new ArgumentException(problem, nameof(single));
        return new ControlPlaneAddresses([single]);
    }

    /// <summary>
    /// Reads a comma-separated list strictly: every entry must be an https:// URL without user
    /// information, query or fragment (a client adds the API path to it), and no entry may repeat.
    /// </summary>
    public static bool TryParse(string? text, out ControlPlaneAddresses addresses, out string error)
    {
        addresses = null!;
        error = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "no control plane URL";
            return false;
        }
        var entries = text.Split(',', StringSplitOptions.TrimEntries);
        if (entries.Length > MaxCount)
        {
            error = $"{entries.Length} control plane URLs; at most {MaxCount}";
            return false;
        }
        var builder = ImmutableArray.CreateBuilder<Uri>(entries.Length);
        foreach (var entry in entries)
        {
            if (entry.Length == 0)
            {
                error = $"'{text}' has an empty entry";
                return false;
            }
            if (!Uri.TryCreate(entry, UriKind.Absolute, out var uri) || Check(uri) is not null)
            {
                error = $"'{entry}' must be an https:// URL{(uri is null ? "" : $" ({Check(uri)})")}";
                return false;
            }
            if (builder.Contains(uri))
            {
                error = $"'{entry}' appears twice";
                return false;
            }
            builder.Add(uri);
        }
        addresses = new ControlPlaneAddresses(builder.MoveToImmutable());
        return true;
    }

    private static string? Check(Uri uri)
    {
        if (!uri.IsAbsoluteUri || uri.Scheme != Uri.UriSchemeHttps) return "not https://";
        if (uri.UserInfo.Length > 0) return "no user information in a control plane URL";
        if (uri.Query.Length > 0 || uri.Fragment.Length > 0) return "no query or fragment in a control plane URL";
        return null;
    }

    public bool Equals(ControlPlaneAddresses? other) => other is not null && All.SequenceEqual(other.All);

    public override bool Equals(object? obj) => Equals(obj as ControlPlaneAddresses);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var uri in All) hash.Add(uri);
        return hash.ToHashCode();
    }

    /// <summary>The list as it is written: URLs separated by commas.</summary>
    public override string ToString() => string.Join(',', All.Select(u => u.OriginalString));
}
