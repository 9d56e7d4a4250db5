using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Outbound.Routing;

/// <summary>
/// Istio's StringMatch over request bytes: exact and prefix compare bytes; a regex must match the whole
/// value (RE2 full-match semantics, as Envoy's safe_regex does) within a time budget.
/// </summary>
internal sealed class CompiledStringMatch
{
    /// <summary>A pattern that backtracks cannot stall the proxy: past this, the match fails (closed).</summary>
    private static readonly TimeSpan RegexBudget = TimeSpan.FromMilliseconds(50);
    private const int MaxStackChars = 512;

    private readonly byte[] _value;
    private readonly Regex? _regex;

    public StringMatchKind Kind { get; }
    public string Text { get; }

    public CompiledStringMatch(StringMatchRule rule)
    {
        Kind = rule.Kind;
        Text = rule.Value;
        _value = Encoding.UTF8.GetBytes(rule.Value);
        // Throws ArgumentException on a bad pattern: the snapshot is then refused whole.
        if (Kind == StringMatchKind.Regex) _regex = new Regex($"^(?:{rule.Value})$", RegexOptions.CultureInvariant | RegexOptions.Compiled, RegexBudget);
    }

    public bool Matches(ReadOnlySpan<byte> value)
    {
        switch (Kind)
        {
            case StringMatchKind.Exact: return value.SequenceEqual(_value);
            case StringMatchKind.Prefix: return value.StartsWith(_value);
        }
        char[]? rented = null;
        var chars = value.Length <= MaxStackChars ? stackalloc char[value.Length] : (rented = ArrayPool<char>.Shared.Rent(value.Length)).AsSpan(0, value.Length);
        try
        {
            Encoding.Latin1.GetChars(value, chars);
            return _regex!.IsMatch(chars);
        }
        catch (RegexMatchTimeoutException) { return false; }
        finally
        {
            if (rented is not null) ArrayPool<char>.Shared.Return(rented);
        }
    }
}

/// <summary>One match block of a route: every condition it sets must hold.</summary>
internal sealed class CompiledRequestMatch
{
    private readonly CompiledStringMatch? _uri;
    private readonly CompiledStringMatch? _method;
    private readonly (byte[] Name, CompiledStringMatch Match)[] _headers;
    private readonly (byte[] Name, CompiledStringMatch Match)[] _query;
    private readonly int? _port;

    /// <summary>The part of the path a uri rewrite replaces: the prefix or exact path matched, else "/".</summary>
    public string RewritablePrefix { get; }

    public CompiledRequestMatch(HttpRouteMatch match)
    {
        _uri = match.Uri is { } uri ? new CompiledStringMatch(uri) : null;
        _method = match.Method is { } method ? new CompiledStringMatch(method) : null;
        _headers = [.. (match.Headers.IsDefault ? [] : match.Headers).Select(h => (Encoding.ASCII.GetBytes(h.Name.ToLowerInvariant()), new CompiledStringMatch(h.Match)))];
        _query = [.. (match.QueryParams.IsDefault ? [] : match.QueryParams).Select(q => (Encoding.UTF8.GetBytes(q.Name), new CompiledStringMatch(q.Match)))];
        _port = match.Port;
        RewritablePrefix = _uri is { Kind: not StringMatchKind.Regex } u ? u.Text : "/";
    }

    public bool Matches<TRequest>(in TRequest request, int port) where TRequest : IRouteRequest, allows ref struct
    {
        if (_port is { } wanted && wanted != port) return false;
        if (_method is not null && !_method.Matches(request.Method)) return false;
        if (_uri is not null)
        {
            var path = request.Path;
            // Envoy matches exact and regex paths without the query string; a prefix against the whole :path.
            if (_uri.Kind != StringMatchKind.Prefix && path.IndexOf((byte)'?') is var q and >= 0) path = path[..q];
            if (!_uri.Matches(path)) return false;
        }
        foreach (var (name, match) in _headers)
        {
            if (!request.TryField(name, out var value) || !match.Matches(value)) return false;
        }
        foreach (var (name, match) in _query)
        {
            if (!TryQueryParam(request.Path, name, out var value) || !match.Matches(value)) return false;
        }
        return true;
    }

    /// <summary>The first value of query parameter <paramref name="name"/> (as sent, not percent-decoded).</summary>
    private static bool TryQueryParam(ReadOnlySpan<byte> path, ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        value = default;
        var q = path.IndexOf((byte)'?');
        if (q < 0) return false;
        var rest = path[(q + 1)..];
        var hash = rest.IndexOf((byte)'#');
        if (hash >= 0) rest = rest[..hash];
        while (!rest.IsEmpty)
        {
            var amp = rest.IndexOf((byte)'&');
            var pair = amp < 0 ? rest : rest[..amp];
            rest = amp < 0 ? default : rest[(amp + 1)..];
            var eq = pair.IndexOf((byte)'=');
            var key = eq < 0 ? pair : pair[..eq];
            if (!key.SequenceEqual(name)) continue;
            value = eq < 0 ? default : pair[(eq + 1)..];
            return true;
        }
        return false;
    }
}
