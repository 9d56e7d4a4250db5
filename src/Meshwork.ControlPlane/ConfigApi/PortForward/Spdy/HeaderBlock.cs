using System.Buffers.Binary;
using System.Text;

namespace Meshwork.ControlPlane.ConfigApi.PortForward.Spdy;

/// <summary>
/// A SPDY/3 name/value header block (draft 3, section 2.6.10): a 32-bit count, then for each pair a
/// 32-bit length and the name, a 32-bit length and the value, big-endian. Names are lowercase and
/// appear once; a value holding several values separates them with NUL.
/// </summary>
public static class HeaderBlock
{
    /// <summary>Fills the span with the block's next bytes or throws <see cref="SpdyProtocolException"/>.</summary>
    public delegate void Fill(Span<byte> into);

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>More pairs than any port-forward stream sends; a block counting more is refused before anything is allocated for it.</summary>
    public const int MaxPairs = 64;

    /// <summary>Reads one block, refusing it once its names and values pass <paramref name="limit"/> bytes.</summary>
    public static IReadOnlyDictionary<string, string> Read(Fill fill, int limit)
    {
        ArgumentNullException.ThrowIfNull(fill);
        var budget = limit;
        var count = ReadLength(fill, ref budget, "pair count");
        if (count > MaxPairs) throw new SpdyProtocolException($"a header block counts {count} pairs; at most {MaxPairs} are accepted");
        var headers = new Dictionary<string, string>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var name = ReadString(fill, ref budget, "name");
            if (name.Length == 0) throw new SpdyProtocolException("a header block has an empty name");
            if (!name.Equals(name.ToLowerInvariant(), StringComparison.Ordinal)) throw new SpdyProtocolException($"header name \"{name}\" is not lowercase");
            var value = ReadString(fill, ref budget, "value");
            if (!headers.TryAdd(name, value)) throw new SpdyProtocolException($"header \"{name}\" appears twice in one block");
        }
        return headers;
    }

    /// <summary>The uncompressed block for <paramref name="headers"/> (names lowercased).</summary>
    public static byte[] Write(IEnumerable<KeyValuePair<string, string>> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var pairs = headers.Select(h => (Name: Encoding.UTF8.GetBytes(h.Key.ToLowerInvariant()), Value: Encoding.UTF8.GetBytes(h.Value))).ToList();
        var block = new byte[4 + pairs.Sum(p => 8 + p.Name.Length + p.Value.Length)];
        BinaryPrimitives.WriteInt32BigEndian(block, pairs.Count);
        var at = 4;
        foreach (var (name, value) in pairs)
        {
            at = WriteString(block, at, name);
            at = WriteString(block, at, value);
        }
        return block;
    }

    private static int WriteString(byte[] block, int at, byte[] text)
    {
        BinaryPrimitives.WriteInt32BigEndian(block.AsSpan(at), text.Length);
        text.CopyTo(block, at + 4);
        return at + 4 + text.Length;
    }

    private static int ReadLength(Fill fill, ref int budget, string what)
    {
        Span<byte> word = stackalloc byte[4];
        Take(ref budget, 4, what);
        fill(word);
        var length = BinaryPrimitives.ReadUInt32BigEndian(word);
        if (length > int.MaxValue) throw new SpdyProtocolException($"a header block's {what} is out of range");
        return (int)length;
    }

    private static string ReadString(Fill fill, ref int budget, string what)
    {
        var length = ReadLength(fill, ref budget, what + " length");
        Take(ref budget, length, what);
        var bytes = new byte[length];
        fill(bytes);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new SpdyProtocolException($"a header {what} is not UTF-8");
        }
    }

    private static void Take(ref int budget, int bytes, string what)
    {
        if (bytes > budget) throw new SpdyProtocolException($"a header block is larger than accepted here (its {what} passes the limit): oversized blocks are refused");
        budget -= bytes;
    }
}
