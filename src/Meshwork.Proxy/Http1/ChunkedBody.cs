using System.Runtime.CompilerServices;

namespace Meshwork.Proxy.Http1;

/// <summary>
/// The chunked transfer coding (RFC 9112 §7.1), checked byte for byte. A relayed body is re-framed from
/// the parsed chunk sizes: extensions are dropped and each chunk line is written anew, so nothing but
/// chunk data ever crosses from one side to the other.
/// </summary>
internal static class ChunkedBody
{
    /// <summary>The longest chunk-size line, extensions included.</summary>
    private const int MaxChunkLineLength = 4096;

    /// <summary>Relays one chunked body from <paramref name="input"/> to <paramref name="output"/>; returns the payload bytes.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<long> RelayAsync(HttpInput input, HttpOutput output, CancellationToken cancellationToken)
    {
        long total = 0;
        while (true)
        {
            var size = await ReadSizeAsync(input, cancellationToken).ConfigureAwait(false);
            if (size == 0)
            {
                output.Append("0\r\n"u8);
                await ReadTrailersAsync(input, output, cancellationToken).ConfigureAwait(false);
                output.Append("\r\n"u8);
                return total;
            }
            output.AppendHex(size);
            output.Append("\r\n"u8);
            await input.CopyExactAsync(size, output, cancellationToken).ConfigureAwait(false);
            await ReadDataEndAsync(input, cancellationToken).ConfigureAwait(false);
            output.Append("\r\n"u8);
            total += size;
        }
    }

    /// <summary>Reads and consumes one chunk-size line; returns the size (0 for the last chunk).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<long> ReadSizeAsync(HttpInput input, CancellationToken cancellationToken)
    {
        var length = await input.ReadLineAsync(MaxChunkLineLength, cancellationToken).ConfigureAwait(false);
        var size = ParseSizeLine(input.Span[..(length - 2)]);
        input.Consume(length);
        return size;
    }

    /// <summary>Reads the CRLF that must follow a chunk's data, exactly.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public static async ValueTask ReadDataEndAsync(HttpInput input, CancellationToken cancellationToken)
    {
        while (input.Buffered < 2)
        {
            if (!await input.FillAsync(cancellationToken).ConfigureAwait(false))
                throw new RelayException(input.Side, "the connection closed in the middle of a chunked body");
        }
        if (input.Span[0] != '\r' || input.Span[1] != '\n') throw HttpWireException.Malformed("chunk data not followed by CRLF");
        input.Consume(2);
    }

    /// <summary>
    /// Reads the trailer section through its empty line, each field line parsed as a head's are; writes the
    /// fields (minus hop-by-hop and framing ones) to <paramref name="output"/>, or drops them when it is null.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public static async ValueTask ReadTrailersAsync(HttpInput input, HttpOutput? output, CancellationToken cancellationToken)
    {
        var total = 0;
        while (true)
        {
            var length = await input.ReadLineAsync(HttpInput.MaxHeadLength, cancellationToken).ConfigureAwait(false);
            total += length;
            if (total > HttpInput.MaxHeadLength) throw HttpWireException.Malformed("trailer section too large");
            if (length == 2)
            {
                input.Consume(2);
                return;
            }
            WriteTrailer(input.Span[..(length - 2)], output);
            input.Consume(length);
        }
    }

    private static void WriteTrailer(ReadOnlySpan<byte> line, HttpOutput? output)
    {
        FieldSyntax.ParseFieldLine(line, out var name, out var value);
        if (output is null || HttpHead.IsHopByHop(name) || HttpHead.IsFramingField(name)) return;
        output.Append(name);
        output.Append(": "u8);
        output.Append(value);
        output.Append("\r\n"u8);
    }

    /// <summary>chunk-size [ chunk-ext ] (RFC 9112 §7.1): 1*HEXDIG without overflow, then extensions by their grammar.</summary>
    internal static long ParseSizeLine(ReadOnlySpan<byte> line)
    {
        long size = 0;
        var i = 0;
        for (; i < line.Length && HexValue(line[i]) is var digit and >= 0; i++)
        {
            if (size > long.MaxValue >> 4) throw HttpWireException.Malformed("chunk size too large");
            size = (size << 4) | (long)digit;
        }
        if (i == 0) throw HttpWireException.Malformed("bad chunk size");
        CheckExtensions(line[i..]);
        return size;
    }

    /// <summary>chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ), ext-val = token / quoted-string (RFC 9112 §7.1.1).</summary>
    private static void CheckExtensions(ReadOnlySpan<byte> rest)
    {
        while (!rest.IsEmpty)
        {
            rest = rest.TrimStart(" \t"u8);
            if (rest.IsEmpty || rest[0] != ';') throw HttpWireException.Malformed("bad chunk extension");
            rest = rest[1..].TrimStart(" \t"u8);
            var name = TokenLength(rest);
            if (name == 0) throw HttpWireException.Malformed("bad chunk extension");
            rest = rest[name..];
            var afterName = rest.TrimStart(" \t"u8);
            if (afterName.IsEmpty || afterName[0] != '=') continue;
            rest = afterName[1..].TrimStart(" \t"u8);
            var value = !rest.IsEmpty && rest[0] == '"' ? QuotedLength(rest) : TokenLength(rest);
            if (value == 0) throw HttpWireException.Malformed("bad chunk extension");
            rest = rest[value..];
        }
    }

    private static int TokenLength(ReadOnlySpan<byte> text)
    {
        var end = text.IndexOfAnyExcept(FieldSyntax.Token);
        return end < 0 ? text.Length : end;
    }

    /// <summary>The length of the quoted-string at the start of <paramref name="text"/> (RFC 9110 §5.6.4).</summary>
    private static int QuotedLength(ReadOnlySpan<byte> text)
    {
        for (var i = 1; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '"') return i + 1;
            if (c == '\\')
            {
                if (++i >= text.Length || !FieldSyntax.FieldValue.Contains(text[i])) break;
                continue;
            }
            if (!FieldSyntax.QuotedText.Contains(c)) break;
        }
        throw HttpWireException.Malformed("bad quoted string in a chunk extension");
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };
}
