using System.Text;

namespace Meshwork.Proxy.Forwarding;

/// <summary>Request methods as strings, without allocating for the common ones (RFC 9110 §9).</summary>
internal static class MethodNames
{
    private static readonly string[] Common = ["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS", "CONNECT"];

    public static string Of(ReadOnlySpan<byte> method)
    {
        foreach (var known in Common)
        {
            if (Ascii.Equals(method, known)) return known;
        }
        return Encoding.ASCII.GetString(method);
    }
}
