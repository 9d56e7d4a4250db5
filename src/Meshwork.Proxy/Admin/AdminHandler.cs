using System.Text;
using System.Text.Json;
using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.Metrics;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Admin;

/// <summary>Run-time switch for the log level, changed through /logging?level=debug.</summary>
internal sealed class LogLevelSwitch(LogLevel level)
{
    private volatile int _level = (int)level;
    public LogLevel Level { get => (LogLevel)_level; set => _level = (int)value; }
}

/// <summary>
/// The admin listener: /ready, /stats, /stats/prometheus, /config_dump, /certs, /logging — Envoy's admin
/// paths, so that the same scripts and CLI views work.
/// </summary>
internal sealed class AdminHandler(ProxyState state, ProxyMetrics metrics, LogLevelSwitch logLevel, bool needsCertificate)
{
    private volatile BoundListeners? _listeners;

    /// <summary>Set once by the host after it has bound its listeners, for the listener dump.</summary>
    public BoundListeners? Listeners { get => _listeners; set => _listeners = value; }

    public AdminResponse Handle(AdminRequest request)
    {
        switch (request.Path)
        {
            case "/ready":
            case "/healthz/ready":
                var reason = state.NotReadyReason(needsCertificate);
                return AdminResponse.Text(reason is null ? 200 : 503, reason is null ? "LIVE\n" : $"not ready: {reason}\n");
            case "/stats" when !(request.TryGet("format", out var format) && format == "prometheus"):
                // Envoy's plain "name: value" form; ?format=prometheus is Envoy's other spelling of /stats/prometheus.
                var stats = new StringBuilder(1024);
                EnvoySslStats.Write(stats, metrics);
                return AdminResponse.Text(200, stats.ToString());
            case "/stats":
            case "/stats/prometheus":
            case "/metrics":
                return Prometheus();
            case "/config_dump":
                return AdminResponse.Json(EnvoyConfigDump.Write(state, _listeners, includeEds: request.Has("include_eds")));
            case "/plaintext_peers":
                return AdminResponse.Json(PlaintextPeersJson.Write(state.PlaintextPeers.Snapshot()));
            case "/certs":
                return AdminResponse.Json(Certs());
            case "/logging":
                if (request.TryGet("level", out var level))
                {
                    // Envoy changes state only on POST, so that a link or a prefetch cannot change it.
                    if (request.Method != "POST") return AdminResponse.Text(405, "This endpoint requires POST\n");
                    if (!TryParseLevel(level, out var parsed))
                        return AdminResponse.Text(400, $"unknown level '{level}': use trace, debug, info, warning, error, critical, off\n");
                    logLevel.Level = parsed;
                }
                return AdminResponse.Text(200, $"active loggers:\n  meshwork: {LevelName(logLevel.Level)}\n");
            case "/":
                return AdminResponse.Text(200, "meshwork proxy admin: /ready /stats /stats/prometheus /config_dump /certs /plaintext_peers /logging?level=debug\n");
            default:
                return AdminResponse.Text(404, $"no admin endpoint {request.Path}\n");
        }
    }

    /// <summary>
    /// The metrics listener (Istio's :15090 on the pod IP, which Prometheus scrapes): <c>GET /stats/prometheus</c> and
    /// nothing else, so that what the pod's peers can reach reads counters and changes nothing.
    /// </summary>
    public AdminResponse HandleMetrics(AdminRequest request) =>
        request is { Method: "GET", Path: "/stats/prometheus" }
            ? Prometheus()
            : AdminResponse.Text(404, "the metrics listener serves GET /stats/prometheus only\n");

    private AdminResponse Prometheus()
    {
        var sb = new StringBuilder(16 * 1024);
        metrics.WritePrometheus(sb);
        ProxyStateMetrics.Write(sb, state);
        return new AdminResponse(200, "text/plain; version=0.0.4", sb.ToString());
    }

    private string Certs()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("certificates");
            if (state.Credentials is { } active)
            {
                var c = active.Credentials;
                writer.WriteStartObject();
                writer.WriteString("identity", active.SpiffeUri);
                writer.WriteString("serialNumber", c.Leaf.SerialNumber.ToLowerInvariant());
                writer.WriteString("notBefore", active.NotBefore.ToString("o"));
                writer.WriteString("notAfter", active.NotAfter.ToString("o"));
                writer.WriteNumber("secondsUntilExpiry", Math.Round((active.NotAfter - state.Time.GetUtcNow()).TotalSeconds));
                writer.WriteString("loadedAt", active.LoadedAt.ToString("o"));
                writer.WriteStartArray("certChain");
                WriteCert(writer, c.Leaf);
                foreach (var i in c.Intermediates) WriteCert(writer, i);
                writer.WriteEndArray();
                writer.WriteStartArray("trustBundle");
                foreach (var root in (ProxyState.TrustBundleOf(state.Config, active) ?? c.TrustBundle).Roots) WriteCert(writer, root);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteCert(Utf8JsonWriter writer, System.Security.Cryptography.X509Certificates.X509Certificate2 cert)
    {
        writer.WriteStartObject();
        writer.WriteString("subject", cert.Subject);
        writer.WriteString("issuer", cert.Issuer);
        writer.WriteString("serialNumber", cert.SerialNumber.ToLowerInvariant());
        writer.WriteString("notBefore", cert.NotBefore.ToUniversalTime().ToString("o"));
        writer.WriteString("notAfter", cert.NotAfter.ToUniversalTime().ToString("o"));
        writer.WriteString("pem", cert.ExportCertificatePem());
        writer.WriteEndObject();
    }

    internal static bool TryParseLevel(string text, out LogLevel level)
    {
        switch (text.ToLowerInvariant())
        {
            case "trace": level = LogLevel.Trace; return true;
            case "debug": level = LogLevel.Debug; return true;
            case "info": case "information": level = LogLevel.Information; return true;
            case "warn": case "warning": level = LogLevel.Warning; return true;
            case "error": level = LogLevel.Error; return true;
            case "critical": level = LogLevel.Critical; return true;
            case "off": case "none": level = LogLevel.None; return true;
            default: level = LogLevel.Information; return false;
        }
    }

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace", LogLevel.Debug => "debug", LogLevel.Information => "info",
        LogLevel.Warning => "warning", LogLevel.Error => "error", LogLevel.Critical => "critical", _ => "off",
    };
}
