using System.Buffers;

namespace Meshwork.Proxy.Http1;

/// <summary>
/// The character classes of HTTP/1.1 message syntax (RFC 9110 §5.5, §5.6.2; RFC 9112 §3, §5), checked
/// with vectorized searches. Everything outside a class is refused, never repaired: a byte that one
/// parser reads as a separator and another as data is how requests are smuggled past a proxy.
/// </summary>
internal static class FieldSyntax
{
    private const string Alphanumeric = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>tchar (RFC 9110 §5.6.2): field names, methods, transfer codings, chunk extension names.</summary>
    public static readonly SearchValues<byte> Token = SearchValues.Create(Bytes(Alphanumeric + "!#$%&'*+-.^_`|~"));

    /// <summary>field-vchar, SP and HTAB (RFC 9110 §5.5): no CR, LF, NUL or other control.</summary>
    public static readonly SearchValues<byte> FieldValue = SearchValues.Create(Range(0x20, 0x7E).Concat(Range(0x80, 0xFF)).Append((byte)'\t').ToArray());

    /// <summary>A request target: visible US-ASCII only (RFC 9112 §3.2, RFC 3986).</summary>
    public static readonly SearchValues<byte> Target = SearchValues.Create(Range(0x21, 0x7E).ToArray());

    /// <summary>uri-host [ ":" port ] of a Host field (RFC 9110 §7.2, RFC 3986 §3.2.2): no "/", "?", "#", "@" or white space.</summary>
    public static readonly SearchValues<byte> HostValue = SearchValues.Create(Bytes(Alphanumeric + "-._~%!$&'()*+,;=:[]"));

    public static readonly SearchValues<byte> Digits = SearchValues.Create("0123456789"u8);

    /// <summary>qdtext of a quoted string (RFC 9110 §5.6.4).</summary>
    public static readonly SearchValues<byte> QuotedText = SearchValues.Create(
        Range(0x21, 0x7E).Where(b => b is not ((byte)'"' or (byte)'\\')).Concat(Range(0x80, 0xFF)).Append((byte)' ').Append((byte)'\t').ToArray());

    public static bool IsToken(ReadOnlySpan<byte> text) => !text.IsEmpty && !text.ContainsAnyExcept(Token);

    /// <summary>Optional white space (SP / HTAB) at both ends removed (RFC 9110 §5.6.3).</summary>
    public static ReadOnlySpan<byte> TrimOws(ReadOnlySpan<byte> text) => text.Trim(" \t"u8);

    /// <summary>
    /// Splits one field line (without its CRLF) into name and value: name is a token ending at the colon
    /// (white space before the colon is refused, RFC 9112 §5.1), value has no control characters and loses
    /// its surrounding white space. A line starting with white space is obs-fold, refused as RFC 9112 §5.2 allows.
    /// </summary>
    public static void ParseFieldLine(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        var colon = line.IndexOf((byte)':');
        if (colon < 0) throw HttpWireException.Malformed("a field line without a colon");
        name = line[..colon];
        if (!IsToken(name)) throw HttpWireException.Malformed("a field name that is not a token (white space, a control character or obs-fold)");
        var raw = line[(colon + 1)..];
        if (raw.ContainsAnyExcept(FieldValue)) throw HttpWireException.Malformed("a control character (bare CR or LF, NUL) in a field value");
        value = TrimOws(raw);
    }

    /// <summary>1*DIGIT as a non-negative number (RFC 9110 §8.6): no sign, no white space inside, at most 18 digits.</summary>
    public static bool TryParseDecimal(ReadOnlySpan<byte> digits, out long value)
    {
        value = 0;
        if (digits.IsEmpty || digits.Length > 18 || digits.ContainsAnyExcept(Digits)) return false;
        foreach (var d in digits) value = value * 10 + (d - '0');
        return true;
    }

    private static byte[] Bytes(string ascii) => System.Text.Encoding.ASCII.GetBytes(ascii);

    private static IEnumerable<byte> Range(int first, int last) => Enumerable.Range(first, last - first + 1).Select(b => (byte)b);
}
