using Meshwork.Proxy.Http1;

namespace Meshwork.Proxy.Outbound.Routing;

/// <summary>What a route match reads of a request: method, origin-form path (query included) and fields by name.</summary>
internal interface IRouteRequest
{
    ReadOnlySpan<byte> Method { get; }
    ReadOnlySpan<byte> Path { get; }
    /// <summary>The first value of the field <paramref name="name"/> (lower case); false when absent.</summary>
    bool TryField(ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value);
}

/// <summary>An HTTP/1.1 request head as a route reads it, without copying it.</summary>
internal readonly ref struct Http1RouteRequest(HttpHead head) : IRouteRequest
{
    private readonly HttpHead _head = head;

    public ReadOnlySpan<byte> Method => _head.First;

    public ReadOnlySpan<byte> Path => Forwarding.Http1Relay.OriginForm(_head.Second);

    public bool TryField(ReadOnlySpan<byte> wanted, out ReadOnlySpan<byte> value)
    {
        var rest = _head.Bytes[_head.HeadersStart..];
        while (HttpHead.TryTakeField(ref rest, out var line, out var fieldName))
        {
            if (fieldName.Length != wanted.Length || !System.Text.Ascii.EqualsIgnoreCase(fieldName, wanted)) continue;
            value = HttpHead.ValueOf(line, fieldName);
            return true;
        }
        value = default;
        return false;
    }
}
