using System.Text;
using Meshwork.Proxy.Http1;

namespace Meshwork.Proxy.Inbound.Forwarding;

/// <summary>
/// The header lookup authorization asks for (<c>request.headers[name]</c> conditions), over a copy of the
/// request head reused for every request of a connection: only values a policy actually looks at become
/// strings. Repeated fields are joined with ',' (RFC 9110 §5.3), as Envoy presents them to RBAC.
/// </summary>
internal sealed class HeadFieldLookup
{
    private byte[] _head = new byte[1024];
    private int _length;
    private int _fieldsStart;

    public HeadFieldLookup() => Lookup = Find;

    /// <summary>One delegate per connection, given to every <c>AuthzRequest</c> of it.</summary>
    public Func<string, string?> Lookup { get; }

    /// <summary>Takes this request's head; valid until the next call.</summary>
    public void Load(in HttpHead head)
    {
        if (_head.Length < head.Bytes.Length) _head = new byte[Math.Max(head.Bytes.Length, _head.Length * 2)];
        head.Bytes.CopyTo(_head);
        _length = head.Bytes.Length;
        _fieldsStart = head.HeadersStart;
    }

    private string? Find(string name)
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
