namespace Meshwork.Proxy.Inbound.Tls;

/// <summary>Why a connection carries no mTLS identity.</summary>
internal enum NoTlsReason
{
    /// <summary>The client spoke plaintext (allowed: PERMISSIVE or DISABLE).</summary>
    Plaintext,
    /// <summary>The client sent nothing before the sniffing timeout (TCP, server-first protocols).</summary>
    NoClientHello,
}

/// <summary>What inbound TLS established for a connection; "why" is a value, as linkerd's ServerTls is.</summary>
internal abstract record InboundTlsOutcome
{
    private InboundTlsOutcome() { }

    /// <summary>The client proved a mesh identity.</summary>
    public sealed record Mutual(string PeerSpiffeUri, string PeerPrincipal, string PeerNamespace, string LeafSha256Hex, string ApplicationProtocol) : InboundTlsOutcome;

    public sealed record None(NoTlsReason Reason) : InboundTlsOutcome;

    public bool IsMutual => this is Mutual;
}

/// <summary>Why an inbound connection was refused before any application byte was forwarded.</summary>
internal enum InboundRejection
{
    /// <summary>Plaintext on a STRICT port: reset.</summary>
    PlaintextOnStrictPort,
    /// <summary>A ClientHello on a DISABLE port: reset.</summary>
    TlsOnDisabledPort,
    /// <summary>The port is not in the current snapshot (or no snapshot yet).</summary>
    UnknownPort,
    /// <summary>The proxy has no certificate yet, so it cannot terminate TLS.</summary>
    NoCertificate,
}
