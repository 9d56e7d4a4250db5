namespace Meshwork.Proxy.Http1;

/// <summary>How an HTTP/1.x message body is delimited (RFC 9112 §6.3).</summary>
internal enum BodyFraming { None, ContentLength, Chunked, UntilClose }
