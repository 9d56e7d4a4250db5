using System.Buffers;
using System.Text;
using Meshwork.Proxy.Forwarding;
using Meshwork.Proxy.Http1;

namespace Meshwork.Proxy.Outbound.Http2;

/// <summary>An HTTP/1.1 request head, parsed into what an <see cref="HttpRequestMessage"/> needs (the head's bytes are consumed).</summary>
internal sealed class RequestHead : Routing.IRouteRequest
{
    public required HttpMethod Method { get; init; }
    public required string PathAndQuery { get; init; }
    public string? Host { get; init; }
    public required List<KeyValuePair<string, string>> Fields { get; init; }
    public BodyFraming Framing { get; init; }
    public long ContentLength { get; init; }
    public bool Close { get; init; }
    public bool IsHead { get; init; }
    public bool ExpectContinue { get; init; }

    public static RequestHead Parse(HttpInput input, int headLength)
    {
        var head = HttpHead.ParseRequest(input.Span[..headLength]);
        var fields = new List<KeyValuePair<string, string>>(8);
        string? host = null;
        var rest = head.Bytes[head.HeadersStart..];
        while (true)
        {
            var end = rest.IndexOf("\r\n"u8);
            if (end <= 0) break;
            var field = rest[..end];
            rest = rest[(end + 2)..];
            var colon = field.IndexOf((byte)':');
            var name = Encoding.ASCII.GetString(field[..colon]);
            var value = Encoding.Latin1.GetString(field[(colon + 1)..].Trim((byte)' ').Trim((byte)'\t'));
            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase)) { host ??= value; continue; }
            if (IsHopByHop(name) || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) || PeerMetadata.IsPeerHeader(name)) continue;
            fields.Add(new(name, value));
        }
        var method = head.First.SequenceEqual("GET"u8) ? HttpMethod.Get : HttpMethod.Parse(Encoding.ASCII.GetString(head.First));
        var target = Http1Relay.OriginForm(head.Second);
        var request = new RequestHead
        {
            Method = method,
            PathAndQuery = target.IsEmpty || target[0] != '/' ? "/" : Encoding.ASCII.GetString(target),
            Host = host,
            Fields = fields,
            Framing = head.Framing,
            ContentLength = head.ContentLength,
            Close = head.ConnectionClose || (head.Http10 && !head.KeepAlive),
            IsHead = head.First.SequenceEqual("HEAD"u8),
            ExpectContinue = head.ExpectContinue,
        };
        input.Consume(headLength);
        return request;
    }

    ReadOnlySpan<byte> Routing.IRouteRequest.Method => Encoding.ASCII.GetBytes(Method.Method);

    ReadOnlySpan<byte> Routing.IRouteRequest.Path => Encoding.Latin1.GetBytes(PathAndQuery);

    bool Routing.IRouteRequest.TryField(ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        var wanted = Encoding.ASCII.GetString(name);
        if (wanted == "host" && Host is not null) { value = Encoding.Latin1.GetBytes(Host); return true; }
        foreach (var (fieldName, fieldValue) in Fields)
        {
            if (!fieldName.Equals(wanted, StringComparison.OrdinalIgnoreCase)) continue;
            value = Encoding.Latin1.GetBytes(fieldValue);
            return true;
        }
        value = default;
        return false;
    }

    /// <summary>The route's request edits (VirtualService headers.request and rewrite.authority) on the upstream message.</summary>
    public static void ApplyRoute(HttpRequestMessage message, Routing.CompiledRoute? route)
    {
        if (route is null) return;
        var rule = route.Rule;
        if (rule.RequestHeaders is { } edits)
        {
            foreach (var name in edits.Remove.IsDefault ? [] : edits.Remove) message.Headers.Remove(name);
            foreach (var set in edits.Set.IsDefault ? [] : edits.Set) { message.Headers.Remove(set.Name); message.Headers.TryAddWithoutValidation(set.Name, set.Value); }
            foreach (var add in edits.Add.IsDefault ? [] : edits.Add) message.Headers.TryAddWithoutValidation(add.Name, add.Value);
        }
        if (rule.RewriteAuthority is { } authority) message.Headers.Host = authority;
    }

    public void CopyHeadersTo(HttpRequestMessage message, RequestBody? body, string fallbackAuthority)
    {
        if (body is not null) message.Content = body;
        foreach (var (name, value) in Fields)
        {
            if (!message.Headers.TryAddWithoutValidation(name, value))
                body?.Headers.TryAddWithoutValidation(name, value);
        }
        message.Headers.Host = Host ?? fallbackAuthority;
    }

    /// <summary>Connection-specific fields (RFC 9110 §7.6.1, RFC 9113 §8.2.2), which HTTP/2 forbids.</summary>
    public static bool IsHopByHop(string name) => name.Length switch
    {
        2 => name.Equals("TE", StringComparison.OrdinalIgnoreCase),
        6 => name.Equals("Expect", StringComparison.OrdinalIgnoreCase),
        7 => name.Equals("Trailer", StringComparison.OrdinalIgnoreCase) || name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase),
        10 => name.Equals("Connection", StringComparison.OrdinalIgnoreCase) || name.Equals("Keep-Alive", StringComparison.OrdinalIgnoreCase),
        16 => name.Equals("Proxy-Connection", StringComparison.OrdinalIgnoreCase),
        17 => name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase),
        18 => name.Equals("Proxy-Authenticate", StringComparison.OrdinalIgnoreCase),
        19 => name.Equals("Proxy-Authorization", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };
}
