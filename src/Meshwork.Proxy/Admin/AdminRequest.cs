namespace Meshwork.Proxy.Admin;

/// <summary>
/// An admin request as the proxy's HTTP/1.1 codec parsed it: the method, the path (percent-decoded) and the raw
/// query (without its '?'), read field by field on demand: an admin request names at most one or two of them.
/// </summary>
internal readonly record struct AdminRequest(string Method, string Path, string Query)
{
    /// <summary>Splits an origin-form target ("/stats?format=prometheus"); false for any other form (RFC 9112 §3.2).</summary>
    public static bool TryParse(string method, ReadOnlySpan<byte> target, out AdminRequest request)
    {
        request = default;
        if (target.IsEmpty || target[0] != '/') return false;
        var text = System.Text.Encoding.ASCII.GetString(target);
        var question = text.IndexOf('?');
        var path = question < 0 ? text : text[..question];
        request = new AdminRequest(method, Uri.UnescapeDataString(path), question < 0 ? "" : text[(question + 1)..]);
        return true;
    }

    /// <summary>The value of the first query parameter <paramref name="name"/> (form-decoded: '+' is a space), empty for "?name".</summary>
    public bool TryGet(string name, out string value)
    {
        foreach (var range in Query.AsSpan().Split('&'))
        {
            var pair = Query.AsSpan()[range];
            var equals = pair.IndexOf('=');
            var key = equals < 0 ? pair : pair[..equals];
            if (!Decode(key).Equals(name, StringComparison.Ordinal)) continue;
            value = equals < 0 ? "" : Decode(pair[(equals + 1)..]);
            return true;
        }
        value = "";
        return false;
    }

    public bool Has(string name) => TryGet(name, out _);

    private static string Decode(ReadOnlySpan<char> part) => Uri.UnescapeDataString(part.ToString().Replace('+', ' '));
}
