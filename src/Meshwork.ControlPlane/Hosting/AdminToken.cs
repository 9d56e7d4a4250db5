using System.Security.Cryptography;
using System.Text;
using Meshwork.Api;
using Meshwork.Identity;
using Microsoft.AspNetCore.Http;

namespace Meshwork.ControlPlane.Hosting;

/// <summary>Decides whether a request carries the admin credential (the bearer token in &lt;state&gt;/admin-token).</summary>
public interface IAdminAuthenticator
{
    bool IsAdmin(HttpContext context);

    /// <summary>Whether the request carries the read-only service-discovery token (<see cref="DiscoveryToken"/>), which opens Prometheus's target list only.</summary>
    bool IsDiscoveryReader(HttpContext context);
}

/// <summary>
/// The admin bearer token: 32 random bytes, base64url, created with mode 0600 at the first start
/// and kept across restarts. Compared in constant time.
/// </summary>
public sealed class AdminTokenAuthenticator : IAdminAuthenticator
{
    private readonly byte[] _token;
    private readonly byte[] _discoveryToken;

    private AdminTokenAuthenticator(string token)
    {
        _token = Encoding.ASCII.GetBytes(token);
        _discoveryToken = Encoding.ASCII.GetBytes(DiscoveryToken.Derive(token));
    }

    public static AdminTokenAuthenticator LoadOrCreate(StateDirectory state)
    {
        var path = state.AdminTokenFile;
        if (File.Exists(path))
        {
            var existing = File.ReadAllText(path).Trim();
            if (existing.Length > 0) return new AdminTokenAuthenticator(existing);
        }
        var token = Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        AtomicFile.WriteAllText(path, token + "\n", AtomicFile.Private);
        return new AdminTokenAuthenticator(token);
    }

    public bool IsAdmin(HttpContext context) => Presents(context, _token);

    public bool IsDiscoveryReader(HttpContext context) => Presents(context, _discoveryToken);

    private static bool Presents(HttpContext context, byte[] token)
    {
        var header = context.Request.Headers.Authorization.ToString();
        const string prefix = "Bearer ";
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return false;
        var presented = Encoding.ASCII.GetBytes(header[prefix.Length..].Trim());
        return CryptographicOperations.FixedTimeEquals(presented, token);
    }

    private static string Base64UrlEncode(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
