using Meshwork.Fuzz.Targets;

namespace Meshwork.Fuzz;

/// <summary>The targets by the name that fuzz/run.sh and the corpus folders use.</summary>
internal static class FuzzTargets
{
    public static readonly IReadOnlyDictionary<string, FuzzTarget> All = new Dictionary<string, FuzzTarget>(StringComparer.Ordinal)
    {
        ["http1-request"] = new Http1RequestTarget(),
        ["http1-chunked"] = new Http1ChunkedTarget(),
        ["tls-sniffer"] = new TlsSnifferTarget(),
        ["manifest"] = new ManifestTarget(),
        ["csr"] = new CsrTarget(),
        ["spdy-frames"] = new SpdyFramesTarget(),
    };
}
