using System.Globalization;
using System.Text;

namespace Meshwork.Proxy.Tests.Contract;

/// <summary>One HTTP/1.1 request written by hand on a stream (so the test decides every header line) and its answer read to the close.</summary>
public static class Http1Exchange
{
    public static async Task<ContractResponse> SendAsync(Stream stream, ContractRequest request, IEnumerable<(string Name, string Value)> extraFields)
    {
        var head = new StringBuilder($"GET {request.Path} HTTP/1.1\r\nHost: {request.Host}\r\n");
        foreach (var (name, value) in request.Headers.Concat(extraFields)) head.Append(name).Append(": ").Append(value).Append("\r\n");
        head.Append("Connection: close\r\n\r\n");
        try
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));
            using var all = new MemoryStream();
            await stream.CopyToAsync(all).WaitAsync(TimeSpan.FromSeconds(60));
            return Parse(all.ToArray());
        }
        catch (Exception e) when (e is IOException or TimeoutException) { return ContractResponse.NoAnswer(e); }
    }

    /// <summary>Status and body of a response that ends at the close; a chunked body is decoded (RFC 9112 §7.1).</summary>
    public static ContractResponse Parse(byte[] response)
    {
        var text = Encoding.UTF8.GetString(response);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0) return new ContractResponse(0, text.Length == 0 ? "closed without an answer" : "incomplete head: " + text);
        var lines = text[..end].Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], CultureInfo.InvariantCulture);
        var body = text[(end + 4)..];
        if (lines.Any(l => l.StartsWith("transfer-encoding:", StringComparison.OrdinalIgnoreCase) && l.Contains("chunked", StringComparison.OrdinalIgnoreCase)))
            body = Dechunk(body);
        return new ContractResponse(status, body);
    }

    private static string Dechunk(string chunked)
    {
        var body = new StringBuilder();
        var at = 0;
        while (true)
        {
            var lineEnd = chunked.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = int.Parse(chunked.AsSpan(at, lineEnd - at).ToString().Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (size == 0) return body.ToString();
            body.Append(chunked, lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
        }
    }
}
