using System.Text;
using System.Text.Json;
using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.Metrics;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.Snapshots;
using Microsoft.AspNetCore.Http;
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
    public async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        switch (path)
        {
            case "/ready":
            case "/healthz/ready":
                var reason = state.NotReadyReason(needsCertificate);
                await WriteAsync(context, reason is null ? 200 : 503, "text/plain", reason is null ? "LIVE\n" : $"not ready: {reason}\n").ConfigureAwait(false);
                return;
            case "/stats" when context.Request.Query["format"] != "prometheus":
                // Envoy's plain "name: value" form; ?format=prometheus is Envoy's other spelling of /stats/prometheus.
                var stats = new StringBuilder(1024);
                EnvoySslStats.Write(stats, metrics);
                await WriteAsync(context, 200, "text/plain", stats.ToString()).ConfigureAwait(false);
                return;
            case "/stats":
            case "/stats/prometheus":
            case "/metrics":
                var sb = new StringBuilder(16 * 1024);
                metrics.WritePrometheus(sb);
                ProxyStateMetrics.Write(sb, state);
                await WriteAsync(context, 200, "text/plain; version=0.0.4", sb.ToString()).ConfigureAwait(false);
                return;
            case "/config_dump":
                await WriteAsync(context, 200, "application/json", ConfigDump()).ConfigureAwait(false);
                return;
            case "/certs":
                await WriteAsync(context, 200, "application/json", Certs()).ConfigureAwait(false);
                return;
            case "/logging":
                if (context.Request.Query.TryGetValue("level", out var level))
                {
                    if (!TryParseLevel(level.ToString(), out var parsed))
                    {
                        await WriteAsync(context, 400, "text/plain", $"unknown level '{level}': use trace, debug, info, warning, error, critical, off\n").ConfigureAwait(false);
                        return;
                    }
                    logLevel.Level = parsed;
                }
                await WriteAsync(context, 200, "text/plain", $"active loggers:\n  meshwork: {LevelName(logLevel.Level)}\n").ConfigureAwait(false);
                return;
            case "/":
                await WriteAsync(context, 200, "text/plain", "meshwork proxy admin: /ready /stats /stats/prometheus /config_dump /certs /logging?level=debug\n").ConfigureAwait(false);
                return;
            default:
                await WriteAsync(context, 404, "text/plain", $"no admin endpoint {path}\n").ConfigureAwait(false);
                return;
        }
    }

    private string ConfigDump()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("configs");
            if (state.Config is { } config)
            {
                writer.WriteStartObject();
                writer.WriteString("@type", "type.meshwork.dev/ProxySnapshot");
                writer.WriteString("lastUpdated", state.ConfigAppliedAt?.ToString("o"));
                writer.WritePropertyName("snapshot");
                // A gateway's server keys stay in the proxy: the dump shows them redacted, as Envoy's admin does secrets.
                JsonSerializer.Serialize(writer, config.Snapshot.WithoutKeys(), ProtocolJson.Indented.ProxySnapshot);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
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

    private static async Task WriteAsync(HttpContext context, int status, string contentType, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        var bytes = Encoding.UTF8.GetBytes(body);
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
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
