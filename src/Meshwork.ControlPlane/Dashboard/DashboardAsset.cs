using System.Reflection;
using System.Security.Cryptography;
using Microsoft.Net.Http.Headers;

namespace Meshwork.ControlPlane.Dashboard;

/// <summary>One file of the dashboard, embedded in the assembly: its bytes and a strong entity tag of them (RFC 9110 §8.8.3).</summary>
internal sealed class DashboardAsset
{
    private DashboardAsset(string name, byte[] content, string contentType)
    {
        Name = name;
        Content = content;
        ContentType = contentType;
        ETag = new EntityTagHeaderValue($"\"{Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 16))}\"");
    }

    public string Name { get; }
    public byte[] Content { get; }
    public string ContentType { get; }
    public EntityTagHeaderValue ETag { get; }

    /// <summary>The asset named <paramref name="name"/>, or null when the assembly has no such resource.</summary>
    public static DashboardAsset? Load(Assembly assembly, string name, string contentType)
    {
        using var stream = assembly.GetManifestResourceStream($"dashboard/{name}");
        if (stream is null) return null;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return new DashboardAsset(name, copy.ToArray(), contentType);
    }
}
