using System.Buffers.Text;
using System.Text;

namespace Meshwork.Proxy.Http1;

/// <summary>
/// One parsed HTTP/1.x message head: offsets into the bytes it was parsed from. Parsing is strict
/// (RFC 9112, RFC 9110): what it accepts, every HTTP/1.1 implementation reads the same way, and what
/// the proxy forwards is written from the parsed values (<see cref="WriteForwardedFields"/>), never
/// copied from the sender's bytes.
/// </summary>
internal ref struct HttpHead
{
    public ReadOnlySpan<byte> Bytes;
    /// <summary>Request: method, target. Response: status code text, reason.</summary>
    public ReadOnlySpan<byte> First, Second;
    /// <summary>Request: the Host field's value (empty without one).</summary>
    public ReadOnlySpan<byte> Host;
    /// <summary>Request: the authority of an absolute-form target, which replaces Host when forwarded (RFC 9112 §3.2.2).</summary>
    public ReadOnlySpan<byte> TargetAuthority;
    public bool Http10;
    public int StatusCode;
    public BodyFraming Framing;
    public long ContentLength;
    public bool HasContentLength, HasHost;
    /// <summary>Parsed by <see cref="ParseRequest"/>: the head of a request, not of a response.</summary>
    public bool IsRequest;
    public bool ConnectionClose, KeepAlive, ExpectContinue, Upgrade;
    /// <summary>Where the field lines start (after the start line's CRLF).</summary>
    public int HeadersStart;

    /// <summary>
    /// Parses a request head (request line, field lines, empty line); throws <see cref="HttpWireException"/>
    /// with the status to answer: 400 for malformed or ambiguous framing, 501 for a transfer coding the proxy
    /// does not implement, 505 for another HTTP version.
    /// </summary>
    public static HttpHead ParseRequest(ReadOnlySpan<byte> head)
    {
        var h = new HttpHead { Bytes = head, IsRequest = true };
        var line = StartLine(head, out h.HeadersStart);
        // request-line = method SP request-target SP HTTP-version, single spaces (RFC 9112 §3).
        var sp1 = line.IndexOf((byte)' ');
        if (sp1 <= 0) throw HttpWireException.Malformed("bad request line");
        h.First = line[..sp1];
        var rest = line[(sp1 + 1)..];
        var sp2 = rest.IndexOf((byte)' ');
        if (sp2 <= 0) throw HttpWireException.Malformed("bad request line");
        h.Second = rest[..sp2];
        if (!FieldSyntax.IsToken(h.First)) throw HttpWireException.Malformed("bad method");
        h.Http10 = IsHttp10(rest[(sp2 + 1)..]);
        h.TargetAuthority = AuthorityOf(h.First, h.Second);
        h.ParseFields(isRequest: true);
        return h;
    }

    /// <summary>Parses a response head; throws <see cref="HttpWireException"/> on anything malformed or ambiguous.</summary>
    public static HttpHead ParseResponse(ReadOnlySpan<byte> head)
    {
        var h = new HttpHead { Bytes = head };
        var line = StartLine(head, out h.HeadersStart);
        // status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4); a missing SP before
        // an empty reason is tolerated, as it changes nothing about framing.
        if (line.Length < 12 || line[8] != ' ' || (line.Length > 12 && line[12] != ' ')) throw HttpWireException.Malformed("bad status line");
        h.Http10 = IsHttp10(line[..8]);
        h.First = line.Slice(9, 3);
        if (h.First.ContainsAnyExcept(FieldSyntax.Digits) || !Utf8Parser.TryParse(h.First, out int status, out _) || status is < 100 or > 599)
            throw HttpWireException.Malformed("bad status code");
        h.StatusCode = status;
        h.Second = line.Length > 13 ? line[13..] : default;
        if (h.Second.ContainsAnyExcept(FieldSyntax.FieldValue)) throw HttpWireException.Malformed("a control character in the reason phrase");
        h.ParseFields(isRequest: false);
        return h;
    }

    private static ReadOnlySpan<byte> StartLine(ReadOnlySpan<byte> head, out int fieldsStart)
    {
        var lineEnd = head.IndexOf("\r\n"u8);
        if (lineEnd < 0) throw HttpWireException.Malformed("unterminated start line");
        fieldsStart = lineEnd + 2;
        return head[..lineEnd];
    }

    private static bool IsHttp10(ReadOnlySpan<byte> version)
    {
        if (version.SequenceEqual("HTTP/1.1"u8)) return false;
        if (version.SequenceEqual("HTTP/1.0"u8)) return true;
        // HTTP-version = "HTTP" "/" DIGIT "." DIGIT (RFC 9112 §2.3): well formed but another version → 505.
        if (version.Length == 8 && version.StartsWith("HTTP/"u8) && char.IsAsciiDigit((char)version[5]) && version[6] == '.' && char.IsAsciiDigit((char)version[7]))
            throw new HttpWireException(505, "unsupported HTTP version");
        throw HttpWireException.Malformed("bad HTTP version");
    }

    /// <summary>
    /// Checks the request-target's form (RFC 9112 §3.2) and returns the authority of an absolute-form one
    /// (empty for the other forms).
    /// </summary>
    private static ReadOnlySpan<byte> AuthorityOf(ReadOnlySpan<byte> method, ReadOnlySpan<byte> target)
    {
        if (target.ContainsAnyExcept(FieldSyntax.Target)) throw HttpWireException.Malformed("bad request target");
        if (target[0] == '/') return default;
        if (target.SequenceEqual("*"u8))
        {
            if (!method.SequenceEqual("OPTIONS"u8)) throw HttpWireException.Malformed("asterisk-form target on a method other than OPTIONS");
            return default;
        }
        if (method.SequenceEqual("CONNECT"u8)) return default;
        var scheme = target.IndexOf("://"u8);
        if (scheme <= 0 || !char.IsAsciiLetter((char)target[0]) || !FieldSyntax.IsToken(target[..scheme]))
            throw HttpWireException.Malformed("bad request target");
        var rest = target[(scheme + 3)..];
        var end = rest.IndexOfAny("/?#"u8);
        var authority = end < 0 ? rest : rest[..end];
        if (authority.IsEmpty || authority.ContainsAnyExcept(FieldSyntax.HostValue)) throw HttpWireException.Malformed("bad authority in the request target");
        return authority;
    }

    private void ParseFields(bool isRequest)
    {
        var rest = Bytes[HeadersStart..];
        var codings = new TransferCodings();
        while (true)
        {
            var end = rest.IndexOf("\r\n"u8);
            if (end < 0) throw HttpWireException.Malformed("unterminated field section");
            if (end == 0) break;
            FieldSyntax.ParseFieldLine(rest[..end], out var name, out var value);
            rest = rest[(end + 2)..];
            switch (name.Length)
            {
                case 4 when isRequest && Ascii.EqualsIgnoreCase(name, "Host"u8):
                    // RFC 9112 §3.2: several Host fields, or an invalid one, are answered with 400.
                    if (HasHost) throw HttpWireException.Malformed("several Host fields");
                    if (value.ContainsAnyExcept(FieldSyntax.HostValue)) throw HttpWireException.Malformed("bad Host");
                    Host = value; HasHost = true;
                    break;
                case 14 when Ascii.EqualsIgnoreCase(name, "Content-Length"u8):
                    // One plain 1*DIGIT (RFC 9110 §8.6). Repeated fields and lists, even of equal values, are
                    // refused rather than collapsed: no sender needs them, and refusing leaves nothing to interpret.
                    if (HasContentLength) throw HttpWireException.Malformed("several Content-Length fields");
                    if (!FieldSyntax.TryParseDecimal(value, out ContentLength)) throw HttpWireException.Malformed("bad Content-Length");
                    HasContentLength = true;
                    break;
                case 17 when Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8):
                    codings.Add(value);
                    break;
                case 10 when Ascii.EqualsIgnoreCase(name, "Connection"u8):
                    if (ContainsToken(value, "close"u8)) ConnectionClose = true;
                    if (ContainsToken(value, "keep-alive"u8)) KeepAlive = true;
                    if (ContainsToken(value, "upgrade"u8)) Upgrade = true;
                    break;
                case 7 when Ascii.EqualsIgnoreCase(name, "Upgrade"u8):
                    Upgrade = true;
                    break;
                case 6 when isRequest && Ascii.EqualsIgnoreCase(name, "Expect"u8):
                    ExpectContinue = Ascii.EqualsIgnoreCase(value, "100-continue"u8);
                    break;
            }
        }
        if (isRequest && !Http10 && !HasHost) throw HttpWireException.Malformed("no Host field in an HTTP/1.1 request");
        if (codings.Present)
        {
            // Never both framings (RFC 9112 §6.3 item 3): one hop reading one and the next the other is request smuggling.
            if (HasContentLength) throw HttpWireException.Malformed("both Content-Length and Transfer-Encoding");
            codings.Check(isRequest, Http10);
            Framing = BodyFraming.Chunked;
        }
        else if (HasContentLength) Framing = ContentLength > 0 || !isRequest ? BodyFraming.ContentLength : BodyFraming.None;
        else Framing = isRequest ? BodyFraming.None : BodyFraming.UntilClose;
    }

    /// <summary>
    /// Writes the fields to forward, as "name: value" from the parsed head: minus hop-by-hop fields
    /// (RFC 9110 §7.6.1), <paramref name="drop"/> (a name) and names starting with <paramref name="dropPrefix"/>;
    /// Host from an absolute-form target when there is one, and an empty Host for a request that has neither; and the framing field of the parsed framing,
    /// one of Transfer-Encoding: chunked or Content-Length, never both.
    /// </summary>
    public readonly void WriteForwardedFields(HttpOutput output, ReadOnlySpan<byte> drop, ReadOnlySpan<byte> dropPrefix = default, byte[][]? dropNames = null)
    {
        var rest = Bytes[HeadersStart..];
        while (TryTakeField(ref rest, out var line, out var name))
        {
            if (IsHopByHop(name) || IsFramingField(name) || (!drop.IsEmpty && name.Length == drop.Length && Ascii.EqualsIgnoreCase(name, drop))) continue;
            if (!dropPrefix.IsEmpty && name.Length >= dropPrefix.Length && Ascii.EqualsIgnoreCase(name[..dropPrefix.Length], dropPrefix)) continue;
            if (IsListed(name, dropNames)) continue;
            output.Append(name);
            output.Append(": "u8);
            output.Append(!TargetAuthority.IsEmpty && name.Length == 4 && Ascii.EqualsIgnoreCase(name, "Host"u8) ? TargetAuthority : ValueOf(line, name));
            output.Append("\r\n"u8);
        }
        if (IsRequest && !HasHost && !IsListed("host"u8, dropNames))
        {
            // Forwarded as HTTP/1.1, a request must carry Host: an HTTP/1.0 one may come without, and then gets
            // its target's authority, or an empty value when the target has none (RFC 9112 §3.2).
            output.Append("Host: "u8);
            output.Append(TargetAuthority);
            output.Append("\r\n"u8);
        }
        if (Framing == BodyFraming.Chunked) output.Append("Transfer-Encoding: chunked\r\n"u8);
        else if (HasContentLength)
        {
            output.Append("Content-Length: "u8);
            output.AppendDecimal(ContentLength);
            output.Append("\r\n"u8);
        }
    }

    /// <summary>True when <paramref name="name"/> is one of <paramref name="names"/> (lower case), ignoring case.</summary>
    private static bool IsListed(ReadOnlySpan<byte> name, byte[][]? names)
    {
        if (names is null) return false;
        foreach (var listed in names)
        {
            if (listed.Length == name.Length && Ascii.EqualsIgnoreCase(name, listed)) return true;
        }
        return false;
    }

    /// <summary>A field's value by name (first occurrence), or empty.</summary>
    public readonly ReadOnlySpan<byte> Field(ReadOnlySpan<byte> wanted)
    {
        var rest = Bytes[HeadersStart..];
        while (TryTakeField(ref rest, out var line, out var name))
        {
            if (name.Length == wanted.Length && Ascii.EqualsIgnoreCase(name, wanted)) return ValueOf(line, name);
        }
        return default;
    }

    /// <summary>
    /// Takes the next field line (with its CRLF) off <paramref name="rest"/>, the fields of a parsed head from
    /// <see cref="HeadersStart"/>; false at the blank line that ends them. Meant for heads that parsing
    /// accepted, whose lines are all well formed; <paramref name="name"/> is empty for a line without a colon.
    /// </summary>
    public static bool TryTakeField(scoped ref ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> line, out ReadOnlySpan<byte> name)
    {
        var end = rest.IndexOf("\r\n"u8);
        if (end <= 0)
        {
            line = name = default;
            return false;
        }
        line = rest[..(end + 2)];
        rest = rest[(end + 2)..];
        var colon = line.IndexOf((byte)':');
        name = colon > 0 && colon < end ? line[..colon] : default;
        return true;
    }

    /// <summary>The value of a field line taken by <see cref="TryTakeField"/>, without surrounding white space.</summary>
    public static ReadOnlySpan<byte> ValueOf(ReadOnlySpan<byte> line, ReadOnlySpan<byte> name) =>
        FieldSyntax.TrimOws(line[(name.Length + 1)..^2]);

    internal static bool IsHopByHop(ReadOnlySpan<byte> name) => name.Length switch
    {
        2 => Ascii.EqualsIgnoreCase(name, "TE"u8),
        6 => Ascii.EqualsIgnoreCase(name, "Expect"u8),
        7 => Ascii.EqualsIgnoreCase(name, "Trailer"u8) || Ascii.EqualsIgnoreCase(name, "Upgrade"u8),
        10 => Ascii.EqualsIgnoreCase(name, "Connection"u8) || Ascii.EqualsIgnoreCase(name, "Keep-Alive"u8),
        16 => Ascii.EqualsIgnoreCase(name, "Proxy-Connection"u8),
        19 => Ascii.EqualsIgnoreCase(name, "Proxy-Authorization"u8),
        18 => Ascii.EqualsIgnoreCase(name, "Proxy-Authenticate"u8),
        _ => false,
    };

    /// <summary>Content-Length and Transfer-Encoding: regenerated from the parsed framing, never copied.</summary>
    internal static bool IsFramingField(ReadOnlySpan<byte> name) => name.Length switch
    {
        14 => Ascii.EqualsIgnoreCase(name, "Content-Length"u8),
        17 => Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8),
        _ => false,
    };

    private static bool ContainsToken(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token)
    {
        foreach (var range in value.Split((byte)','))
            if (Ascii.EqualsIgnoreCase(FieldSyntax.TrimOws(value[range]), token)) return true;
        return false;
    }

    /// <summary>True when the response to this request carries no body whatever its fields say.</summary>
    public static bool ResponseHasNoBody(ReadOnlySpan<byte> method, int status) =>
        status is (>= 100 and < 200) or 204 or 304 || method.SequenceEqual("HEAD"u8);
}
