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
    /// <summary>
    /// A per-thread scratch buffer larger than this is let go after use rather than kept for the next list: enough for a
    /// namespace's outbound list of a thousand endpoints (the buffer doubles past 256 KB for it), and a bound on what every
    /// thread that ever encoded keeps.
    /// </summary>
    private const int ScratchKept = 512 * 1024;

    [ThreadStatic] private static Scratch? t_scratch;

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
        // A static factory with its argument: a call that finds the list encoded (every proxy of a namespace) allocates nothing.
        return Cache<T>.Table.GetOrAdd(array, static (a, i) => Encode(a, i), info);
    }

    /// <summary>
    /// The items serialized one after the other into one scratch buffer (as <see cref="JsonSerializer.SerializeToUtf8Bytes{T}(T, JsonTypeInfo{T})"/>
    /// writes each), each hashed where it lies, and the buffer copied out once: no array per item, no buffer regrown per list.
    /// </summary>
    private static EncodedList Encode<T>(T[] items, JsonTypeInfo<T> info)
    {
        var hashes = new byte[items.Length][];
        // Taken off the thread while in use (a nested encoding would get a buffer of its own) and not put back after a throw.
        var thread = t_scratch ?? new Scratch();
        t_scratch = null;
        var (scratch, writer) = thread.For(info.Options);
        scratch.Write("["u8);
        for (var i = 0; i < items.Length; i++)
        {
            if (i > 0) scratch.Write(","u8);
            var start = scratch.WrittenCount;
            writer.Reset(scratch);
            JsonSerializer.Serialize(writer, items[i], info);
            writer.Flush();
            hashes[i] = SHA256.HashData(scratch.WrittenSpan[start..]);
        }
        scratch.Write("]"u8);
        var json = scratch.WrittenSpan.ToArray();
        if (thread.Capacity <= ScratchKept) t_scratch = thread;
        return new EncodedList(json, hashes, ListHash(hashes));
    }

    /// <summary>SHA-256 of the item hashes one after the other (what appending them to an incremental hash gives).</summary>
    private static byte[] ListHash(byte[][] hashes)
    {
        var length = hashes.Length * SHA256.HashSizeInBytes;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            for (var i = 0; i < hashes.Length; i++) hashes[i].CopyTo(rented, i * SHA256.HashSizeInBytes);
            return SHA256.HashData(rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>A thread's buffer, and the writer last set up for one serializer's options.</summary>
    private sealed class Scratch
    {
        private readonly ArrayBufferWriter<byte> _buffer = new();
        private Utf8JsonWriter? _writer;
        private JsonSerializerOptions? _options;

        public int Capacity => _buffer.Capacity;

        public (ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Writer) For(JsonSerializerOptions options)
        {
            _buffer.ResetWrittenCount();
            if (_writer is null || !ReferenceEquals(_options, options)) (_writer, _options) = (new Utf8JsonWriter(_buffer, WriterOptions(options)), options);
            return (_buffer, _writer);
        }
    }

    /// <summary>The writer settings the serializer derives from its options when it writes to bytes itself.</summary>
    private static JsonWriterOptions WriterOptions(JsonSerializerOptions options) => new()
    {
        Encoder = options.Encoder,
        Indented = options.WriteIndented,
        IndentCharacter = options.IndentCharacter,
        IndentSize = options.IndentSize,
        MaxDepth = options.MaxDepth,
        NewLine = options.NewLine,
        SkipValidation = true,
    };

    /// <summary>One table per item type, keyed by the array (weakly: an array no snapshot holds any more is forgotten).</summary>
    private static class Cache<T>
    {
        public static readonly ConditionalWeakTable<T[], EncodedList> Table = [];
    }
}
