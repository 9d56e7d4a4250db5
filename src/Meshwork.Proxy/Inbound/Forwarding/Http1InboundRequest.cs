using System.Text;
using Meshwork.Proxy.Forwarding;
using Meshwork.Proxy.Inbound.Gate;
using Meshwork.Proxy.Http1;

namespace Meshwork.Proxy.Inbound.Forwarding;

/// <summary>
/// An HTTP/1.1 request as the request gate reads it, over a copy of its head reused for every request of a
/// connection: only values a policy actually looks at become strings.
/// </summary>
internal sealed class Http1InboundRequest : IInboundRequest
{
    private byte[] _head = new byte[1024];
    private int _length;
    private int _fieldsStart;
    private int _methodLength;
    private int _targetStart, _targetLength;
    private string? _targetAuthority;

    public Http1InboundRequest() => Lookup = Header;

    /// <summary>One delegate per connection, given to every <c>AuthzRequest</c> of it.</summary>
    public Func<string, string?> Lookup { get; }

    /// <summary>Takes this request's head; valid until the next call.</summary>
    public void Load(in HttpHead head)
    {
        if (_head.Length < head.Bytes.Length) _head = new byte[Math.Max(head.Bytes.Length, _head.Length * 2)];
        head.Bytes.CopyTo(_head);
        _length = head.Bytes.Length;
        _fieldsStart = head.HeadersStart;
        _methodLength = head.First.Length;
        // The request line is "method SP target SP version": the target starts after the method's space.
        _targetStart = _methodLength + 1;
        _targetLength = head.Second.Length;
        // An absolute-form target's authority stands for the Host field (RFC 9112 §3.2.2).
        _targetAuthority = head.TargetAuthority.IsEmpty ? null : Encoding.ASCII.GetString(head.TargetAuthority);
    }

    public string Method => MethodNames.Of(_head.AsSpan(0, _methodLength));

    public string Target => Encoding.ASCII.GetString(_head, _targetStart, _targetLength);

    public string? Host => _targetAuthority ?? Header("host");

    public string? Header(string name)
    {
        string? joined = null;
        ReadOnlySpan<byte> rest = _head.AsSpan(_fieldsStart, _length - _fieldsStart);
        while (HttpHead.TryTakeField(ref rest, out var line, out var field))
        {
            if (field.IsEmpty || !Ascii.EqualsIgnoreCase(field.Trim((byte)' '), name)) continue;
            var value = Encoding.Latin1.GetString(HttpHead.ValueOf(line, field));
            joined = joined is null ? value : $"{joined},{value}";
        }
        return joined;
    }
}
