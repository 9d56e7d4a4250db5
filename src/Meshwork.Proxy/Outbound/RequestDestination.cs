using System.Buffers.Text;
using System.Text;

namespace Meshwork.Proxy.Outbound;

/// <summary>
/// Where an outbound request asked to go: the host and port it names, and whether the authority came from
/// an absolute-form target (then it replaces the Host field, RFC 9112 §3.2.2).
/// </summary>
internal readonly record struct RequestDestination(string Host, int Port, bool FromTarget)
{
    public string Authority => Port == 80 && FromTarget ? Host : $"{Host}:{Port}";

    /// <summary>
    /// From an absolute-form target (<c>http://host[:port]/path</c>), else from the Host field of an
    /// origin-form request. False with <paramref name="error"/> for anything else: another scheme, userinfo
    /// (RFC 9110 §4.2.4), an empty host or a port that is not 1–65535.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> target, ReadOnlySpan<byte> hostField, out RequestDestination destination, out string? error)
    {
        destination = default;
        if (!target.IsEmpty && target[0] == '/')
        {
            if (hostField.IsEmpty)
            {
                error = "an origin-form request needs a Host field: send an absolute URL (http://host:port/path)";
                return false;
            }
            return TryParseAuthority(hostField, fromTarget: false, out destination, out error);
        }
        const int schemeLength = 7;
        if (target.Length < schemeLength || !Ascii.EqualsIgnoreCase(target[..schemeLength], "http://"u8))
        {
            error = $"the target '{Encoding.ASCII.GetString(target)}' is neither origin-form nor an absolute http:// URL";
            return false;
        }
        var rest = target[schemeLength..];
        var end = rest.IndexOfAny("/?#"u8);
        return TryParseAuthority(end < 0 ? rest : rest[..end], fromTarget: true, out destination, out error);
    }

    /// <summary>The authority-form target of CONNECT (RFC 9112 §3.2.3): <c>host:port</c>, the port required.</summary>
    public static bool TryParseAuthorityForm(ReadOnlySpan<byte> target, out RequestDestination destination, out string? error)
    {
        var colon = target.LastIndexOf((byte)':');
        if (colon <= 0 || colon < target.LastIndexOf((byte)']'))
        {
            destination = default;
            error = $"CONNECT needs host:port, got '{Encoding.ASCII.GetString(target)}'";
            return false;
        }
        return TryParseAuthority(target, fromTarget: false, out destination, out error);
    }

    private static bool TryParseAuthority(ReadOnlySpan<byte> authority, bool fromTarget, out RequestDestination destination, out string? error)
    {
        destination = default;
        if (authority.IndexOf((byte)'@') >= 0)
        {
            error = "userinfo in the request target is refused";
            return false;
        }
        ReadOnlySpan<byte> host;
        var port = 80;
        var close = authority.LastIndexOf((byte)']');
        var colon = authority.LastIndexOf((byte)':');
        if (colon > close)
        {
            host = authority[..colon];
            var digits = authority[(colon + 1)..];
            if (digits.Length is 0 or > 5 || !Utf8Parser.TryParse(digits, out port, out var used) || used != digits.Length || port is < 1 or > 65535)
            {
                error = $"bad port in '{Encoding.ASCII.GetString(authority)}'";
                return false;
            }
        }
        else host = authority;
        if (host.Length >= 2 && host[0] == '[' && host[^1] == ']') host = host[1..^1];
        if (host.IsEmpty || host.IndexOfAny(" \t/\\[]"u8) >= 0)
        {
            error = $"bad host in '{Encoding.ASCII.GetString(authority)}'";
            return false;
        }
        destination = new RequestDestination(Encoding.ASCII.GetString(host).ToLowerInvariant(), port, fromTarget);
        error = null;
        return true;
    }
}
