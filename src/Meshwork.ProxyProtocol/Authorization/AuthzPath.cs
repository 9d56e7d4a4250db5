namespace Meshwork.ProxyProtocol.Authorization;

/// <summary>
/// The path that authorization matches, as Envoy's RBAC filter takes it (url_path): the request target's path
/// without the query, percent-decoded. The sidecar's request gate and `meshwork x explain` both take it from
/// here, so that a policy's <c>paths</c> judge the same string in both.
/// </summary>
public static class AuthzPath
{
    public static string Of(string target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var origin = target;
        if (origin.Length > 0 && origin[0] != '/' && origin != "*")
        {
            // Absolute-form: the path starts after the authority.
            var scheme = origin.IndexOf("://", StringComparison.Ordinal);
            var slash = scheme < 0 ? -1 : origin.IndexOfAny(['/', '?'], scheme + 3);
            origin = slash < 0 ? "/" : origin[slash] == '?' ? "/" + origin[slash..] : origin[slash..];
        }
        var query = origin.IndexOf('?', StringComparison.Ordinal);
        var path = query >= 0 ? origin[..query] : origin;
        return path.Contains('%', StringComparison.Ordinal) ? Uri.UnescapeDataString(path) : path;
    }
}
