using System.Buffers;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Meshwork.Generation.Hashing;

/// <summary>
/// One list of snapshot parts serialized and hashed once: the JSON of the whole array, and a
/// SHA-256 per item and of the list. Cached per array instance, and generation shares one array
/// among every proxy that receives it (a namespace's outbound services, the trust bundle), so a
/// part is serialized and hashed once per change however many proxies it reaches.
/// </summary>
public sealed class EncodedList
{
    private EncodedList(byte[] json, byte[][] itemHashes, byte[] hash)
    {
        Json = json;
        ItemHashes = itemHashes;
        Hash = hash;
    }

    /// <summary>The JSON array, as the protocol's serializer writes it.</summary>
    public byte[] Json { get; }
    /// <summary>SHA-256 of each item's JSON, in list order.</summary>
    public IReadOnlyList<byte[]> ItemHashes { get; }
    /// <summary>SHA-256 over the item hashes: equal lists, equal hashes.</summary>
    public byte[] Hash { get; }

    /// <summary>The encoding of <paramref name="items"/>, computed the first time this array instance is seen.</summary>
    public static EncodedList Of<T>(ImmutableArray<T> items, JsonTypeInfo<T> info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var array = ImmutableCollectionsMarshal.AsArray(items.IsDefault ? [] : items)!;
        return Cache<T>.Table.GetValue(array, a => Encode(a, info));
    }

    private static EncodedList Encode<T>(T[] items, JsonTypeInfo<T> info)
    {
        var hashes = new byte[items.Length][];
        var buffer = new ArrayBufferWriter<byte>();
        buffer.Write("["u8);
        using var all = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (var i = 0; i < items.Length; i++)
        {
            var json = JsonSerializer.SerializeToUtf8Bytes(items[i], info);
            hashes[i] = SHA256.HashData(json);
            all.AppendData(hashes[i]);
            if (i > 0) buffer.Write(","u8);
            buffer.Write(json);
        }
        buffer.Write("]"u8);
        return new EncodedList(buffer.WrittenSpan.ToArray(), hashes, all.GetHashAndReset());
    }

    /// <summary>One table per item type, keyed by the array (weakly: an array no snapshot holds any more is forgotten).</summary>
    private static class Cache<T>
    {
        public static readonly ConditionalWeakTable<T[], EncodedList> Table = [];
    }
}
