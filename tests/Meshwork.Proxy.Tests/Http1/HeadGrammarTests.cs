using System.Text;
using Meshwork.Proxy.Http1;

namespace Meshwork.Proxy.Tests.Http1;

/// <summary>The grammar rules of the codec one by one, as pure functions over bytes (RFC 9112, RFC 9110).</summary>
public sealed class HeadGrammarTests
{
    [Theory]
    [InlineData("0", 0L)]
    [InlineData("00000000000000000000a", 10L)]
    [InlineData("fFfFfFfFfFfFfFf", 0xfffffffffffffffL)]
    [InlineData("5;name", 5L)]
    [InlineData("5 ; name = value ;other", 5L)]
    [InlineData("5;name=\"quoted ; \\\" value\"", 5L)]
    public void Chunk_size_lines_in_the_grammar_are_read(string line, long size) =>
        Assert.Equal(size, ChunkedBody.ParseSizeLine(Encoding.Latin1.GetBytes(line)));

    [Theory]
    [InlineData("")]
    [InlineData(" 5")]
    [InlineData("5 ")]
    [InlineData("+5")]
    [InlineData("0x5")]
    [InlineData("5;")]
    [InlineData("5;=v")]
    [InlineData("5;name=")]
    [InlineData("5;name=\"unterminated")]
    [InlineData("5;na me")]
    [InlineData("5\n")]
    [InlineData("1000000000000000f")]
    public void Chunk_size_lines_outside_the_grammar_are_refused(string line)
    {
        var error = Assert.Throws<HttpWireException>(() => ChunkedBody.ParseSizeLine(Encoding.Latin1.GetBytes(line)));
        Assert.Equal(400, error.Status);
    }

    [Theory]
    [InlineData("GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400)]
    [InlineData("CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n", 0)]
    [InlineData("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", 0)]
    [InlineData("GET h/x HTTP/1.1\r\nHost: h\r\n\r\n", 400)]
    [InlineData("GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n", 400)]
    [InlineData("GET /x\u00e9 HTTP/1.1\r\nHost: h\r\n\r\n", 400)]
    [InlineData("GET /x HTTP/1.1\r\nHost: h/x\r\n\r\n", 400)]
    [InlineData("GET /x HTTP/1.1\r\nHost: \r\n\r\n", 0)]
    [InlineData("GET /x HTTP/1.0\r\n\r\n", 0)]
    [InlineData("GET /x HTTP/1.1\r\nHost: h\r\nX-Latin: caf\u00e9\r\n\r\n", 0)]
    [InlineData("GET /x HTTP/1.1\r\nHost: h\r\nX-A: a\u007fb\r\n\r\n", 400)]
    [InlineData("GET /x HTTP/1.1\r\nHost: h\r\n: empty name\r\n\r\n", 400)]
    [InlineData("GET /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked;x=1\r\n\r\n", 400)]
    [InlineData("GET /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", 501)]
    [InlineData("GET /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: ,chunked, \r\n\r\n", 0)]
    [InlineData("GET /x HTTP/1.1\r\nHost: h\r\nContent-Length: 1234567890123456789\r\n\r\n", 400)]
    [InlineData("GET /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", 400)]
    public void Request_heads_are_accepted_or_refused_with_their_status(string head, int status)
    {
        var bytes = Encoding.Latin1.GetBytes(head);
        if (status == 0) HttpHead.ParseRequest(bytes);
        else Assert.Equal(status, Assert.Throws<HttpWireException>(() => HttpHead.ParseRequest(bytes)).Status);
    }

    [Theory]
    [InlineData("HTTP/1.1 200\r\n\r\n", true)]
    [InlineData("HTTP/1.1 200 \r\n\r\n", true)]
    [InlineData("HTTP/1.1 099 Low\r\n\r\n", false)]
    [InlineData("HTTP/1.1 600 High\r\n\r\n", false)]
    [InlineData("HTTP/1.1 200OK\r\n\r\n", false)]
    [InlineData("HTTP/1.1  200 OK\r\n\r\n", false)]
    [InlineData("HTTP/1.1 200 O\u0001K\r\n\r\n", false)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", false)]
    [InlineData("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false)]
    public void Response_heads_are_accepted_or_refused(string head, bool accepted)
    {
        var bytes = Encoding.Latin1.GetBytes(head);
        if (accepted) HttpHead.ParseResponse(bytes);
        else Assert.Throws<HttpWireException>(() => HttpHead.ParseResponse(bytes));
    }
}
