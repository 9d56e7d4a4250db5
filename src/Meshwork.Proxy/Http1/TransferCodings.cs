using System.Text;

namespace Meshwork.Proxy.Http1;

/// <summary>
/// The transfer codings of a message, over all its Transfer-Encoding fields (a list, RFC 9112 §6.1).
/// The proxy implements chunked only: it re-frames bodies, so it never forwards a coding it cannot decode.
/// </summary>
internal struct TransferCodings
{
    private int _count, _chunked;
    private bool _lastIsChunked, _other;

    public readonly bool Present => _count > 0 || _other;

    public void Add(ReadOnlySpan<byte> value)
    {
        foreach (var range in value.Split((byte)','))
        {
            var element = FieldSyntax.TrimOws(value[range]);
            // Empty list elements are ignored (RFC 9110 §5.6.1).
            if (element.IsEmpty) continue;
            var parameters = element.IndexOf((byte)';');
            var coding = parameters < 0 ? element : FieldSyntax.TrimOws(element[..parameters]);
            if (!FieldSyntax.IsToken(coding)) throw HttpWireException.Malformed("bad Transfer-Encoding");
            var chunked = parameters < 0 && Ascii.EqualsIgnoreCase(coding, "chunked"u8);
            _count++;
            if (chunked) _chunked++;
            else _other = true;
            _lastIsChunked = chunked;
        }
        if (_count == 0) _other = true;
    }

    /// <summary>Throws unless the codings come to exactly one chunked, last: the one framing the proxy can re-frame.</summary>
    public readonly void Check(bool isRequest, bool http10)
    {
        // An HTTP/1.0 message with Transfer-Encoding has faulty framing (RFC 9112 §6.1).
        if (http10) throw HttpWireException.Malformed("Transfer-Encoding in an HTTP/1.0 message");
        if (!isRequest)
        {
            if (_count != 1 || _chunked != 1) throw HttpWireException.Malformed("a response Transfer-Encoding other than chunked");
            return;
        }
        // A request whose final coding is not chunked has no knowable length: 400 (RFC 9112 §6.3 item 4).
        if (!_lastIsChunked) throw HttpWireException.Malformed("a Transfer-Encoding whose final coding is not chunked");
        // chunked at most once (RFC 9112 §6.1).
        if (_chunked > 1) throw HttpWireException.Malformed("chunked applied more than once");
        // A coding the proxy does not implement (RFC 9112 §6.1: 501).
        if (_other) throw new HttpWireException(501, "a transfer coding the proxy does not implement");
    }
}
