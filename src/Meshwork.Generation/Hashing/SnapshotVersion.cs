using System.Security.Cryptography;
using System.Text.Json;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Generation.Hashing;

/// <summary>
/// A snapshot's version is a hash of its content, so that equal content has an equal version on
/// every control-plane replica and after every restart, and a proxy that reconnects with the
/// version it runs is not sent the same snapshot again.
/// </summary>
public static class SnapshotVersion
{
    /// <summary>Hex characters kept: 64 bits is plenty to tell one proxy's snapshots apart.</summary>
    public const int Length = 16;

    public static string Compute(ProxySnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(snapshot with { Version = "" }, ProtocolJson.Default.ProxySnapshot);
        return Hex(SHA256.HashData(bytes));
    }

    internal static string Hex(ReadOnlySpan<byte> hash) => Convert.ToHexStringLower(hash[..(Length / 2)]);
}
