using System.Security.Cryptography;
using System.Text;

namespace Meshwork.Api;

/// <summary>
/// The read-only credential of Prometheus's service discovery, as Istio's Prometheus holds a service account that may
/// only list what it scrapes: the control plane accepts it on the target list and nowhere else. It is an HMAC-SHA256
/// of a fixed label under the admin token (RFC 2104), so whoever holds the admin token can hand it out, the control
/// plane can check it without storing anything, it tells nothing of the admin token, and it changes with it.
/// </summary>
public static class DiscoveryToken
{
    private static readonly byte[] Label = "meshwork prometheus service discovery v1"u8.ToArray();

    public static string Derive(string adminToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(adminToken);
        var mac = HMACSHA256.HashData(Encoding.ASCII.GetBytes(adminToken.Trim()), Label);
        return Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
