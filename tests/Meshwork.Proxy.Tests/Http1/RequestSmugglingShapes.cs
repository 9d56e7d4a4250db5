namespace Meshwork.Proxy.Tests.Http1;

/// <summary>
/// Requests an attacker shapes so that a proxy and the app behind it would read them differently (RFC 9112
/// §11.2, request smuggling), with the status each must be refused with: one table for every suite that sends them.
/// </summary>
public static class RequestSmugglingShapes
{
    public const string Get = "GET /anything HTTP/1.1\r\nHost: httpbin.foo:8000\r\n";
    public const string Post = "POST /upload HTTP/1.1\r\nHost: httpbin.foo:8000\r\n";

    public static TheoryData<string, string, int> All => new()
    {
        { "bare LF inside a field line (a forged XFCC)", Get + "X-A: a\nx-forwarded-client-cert: By=forged\r\n\r\n", 400 },
        { "bare LF as every line end", "GET /anything HTTP/1.1\nHost: httpbin.foo:8000\n\n", 400 },
        { "bare CR inside a field value", Get + "X-A: a\rb\r\n\r\n", 400 },
        { "obs-fold", Get + "X-A: a\r\n folded\r\n\r\n", 400 },
        { "white space before the colon", Get + "Transfer-Encoding : chunked\r\n\r\n", 400 },
        { "a field name with a separator", Get + "X(A): b\r\n\r\n", 400 },
        { "NUL in a field value", Get + "X-A: a\0b\r\n\r\n", 400 },
        { "a control character in a field value", Get + "X-A: a\u0001b\r\n\r\n", 400 },
        { "two spaces in the request line", "GET  /anything HTTP/1.1\r\nHost: httpbin.foo:8000\r\n\r\n", 400 },
        { "a bad version", "GET /anything HTTX/1.1\r\nHost: httpbin.foo:8000\r\n\r\n", 400 },
        { "an unsupported version", "GET /anything HTTP/3.0\r\nHost: httpbin.foo:8000\r\n\r\n", 505 },
        { "both Content-Length and Transfer-Encoding", Post + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400 },
        { "Transfer-Encoding: xchunked", Post + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 400 },
        { "a coding the proxy does not implement", Post + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501 },
        { "chunked twice", Post + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400 },
        { "Transfer-Encoding in HTTP/1.0", "POST /upload HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400 },
        { "Content-Length with a sign", Post + "Content-Length: +5\r\n\r\nhello", 400 },
        { "Content-Length with a space inside", Post + "Content-Length: 5 5\r\n\r\nhello", 400 },
        { "Content-Length in hex", Post + "Content-Length: 0x5\r\n\r\nhello", 400 },
        { "Content-Length as a list", Post + "Content-Length: 5, 5\r\n\r\nhello", 400 },
        { "several Host fields", Get + "Host: other\r\n\r\n", 400 },
        { "no Host in HTTP/1.1", "GET /anything HTTP/1.1\r\nAccept: */*\r\n\r\n", 400 },
        { "a chunk not followed by CRLF", Post + "Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", 400 },
        { "a chunk size with a stray character", Post + "Transfer-Encoding: chunked\r\n\r\n5x\r\nhello\r\n0\r\n\r\n", 400 },
        { "a chunk size that overflows", Post + "Transfer-Encoding: chunked\r\n\r\n10000000000000005\r\nhello\r\n0\r\n\r\n", 400 },
        { "a bare LF after a chunk size", Post + "Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", 400 },
        { "a bad chunk extension", Post + "Transfer-Encoding: chunked\r\n\r\n5;=x\r\nhello\r\n0\r\n\r\n", 400 },
        { "a malformed trailer field", Post + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX A: b\r\n\r\n", 400 },
        // Exactly 64 KiB without the end of the head: all of it is read, so the answer is not lost to a reset.
        { "a head over 64 KiB", Get + "X-Long: " + new string('a', 64 * 1024 - Get.Length - 8), 431 },
    };
}
