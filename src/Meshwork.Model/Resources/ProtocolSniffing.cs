namespace Meshwork.Model.Resources;

/// <summary>
/// Istio's explicit protocol selection for a Service port: appProtocol wins, then the port name's
/// prefix before the first '-' (http, http2, grpc, tcp, tls, https, mongo, ...). Anything else is
/// left to sniffing, which Meshwork treats as HTTP when the first bytes parse as HTTP.
/// </summary>
public static class ProtocolSniffing
{
    public const string Http = "http";
    public const string Http2 = "http2";
    public const string Grpc = "grpc";
    public const string Tcp = "tcp";
    public const string Tls = "tls";
    public const string Https = "https";
    public const string Unknown = "unknown";

    public static string FromServicePort(string? name, string? appProtocol)
    {
        var chosen = !string.IsNullOrEmpty(appProtocol) ? appProtocol : name;
        if (string.IsNullOrEmpty(chosen)) return Unknown;
        var prefix = chosen.Split('-', 2)[0].ToLowerInvariant();
        return prefix switch
        {
            "http" or "http-web" => Http,
            "http2" or "h2c" => Http2,
            "grpc" or "grpc-web" => Grpc,
            "tcp" or "mongo" or "mysql" or "redis" or "postgres" => Tcp,
            "tls" => Tls,
            "https" => Https,
            _ => Unknown,
        };
    }

    /// <summary>True when the proxy must treat the port as opaque bytes (L4).</summary>
    public static bool IsOpaque(string meshProtocol) => meshProtocol is Tcp or Tls or Https;
}
