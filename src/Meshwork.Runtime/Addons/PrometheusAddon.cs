using System.Globalization;
using System.Text;
using System.Text.Json;
using Meshwork.Api;

namespace Meshwork.Runtime.Addons;

/// <summary>
/// Istio's samples/addons/prometheus.yaml for the local runtime: Debian's <c>prometheus</c> run as a
/// Deployment in istio-system (so the runtime starts, restarts and stops it like any pod) behind a
/// Service <c>prometheus</c> on port 9090, scraping every proxy the control plane lists through its
/// HTTP service-discovery endpoint.
/// </summary>
public static class PrometheusAddon
{
    public const string Name = "prometheus";
    public const string Namespace = "istio-system";
    public const int Port = 9090;
    public const string MissingBinaryMessage =
        "Prometheus is not installed: run `apt-get install prometheus` (Debian's package), then `meshwork up --addons prometheus` again";

    /// <summary>How often Prometheus scrapes the proxies and asks the control plane for the proxy list.</summary>
    public static readonly TimeSpan ScrapeInterval = TimeSpan.FromSeconds(5);

    /// <summary>&lt;state&gt;/addons/prometheus: the generated configuration and Prometheus's own data.</summary>
    public static string Directory(StateDirectory state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return Path.Combine(state.Root, "addons", Name);
    }

    public static string ConfigFile(StateDirectory state) => Path.Combine(Directory(state), "prometheus.yml");

    /// <summary>The <c>prometheus</c> executable on <paramref name="searchPath"/> (PATH's syntax), or null.</summary>
    public static string? FindBinary(string? searchPath)
    {
        foreach (var folder in (searchPath ?? "/usr/local/bin:/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(folder, Name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>
    /// Prometheus's configuration: one job over the control plane's service discovery, which Prometheus
    /// reaches over HTTPS trusting only the mesh root and authenticates with the admin token file
    /// (read by Prometheus itself, never copied).
    /// </summary>
    public static string Config(StateDirectory state, string controlPlaneUrl)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentException.ThrowIfNullOrEmpty(controlPlaneUrl);
        var interval = $"{ScrapeInterval.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s";
        var discovery = $"{controlPlaneUrl.TrimEnd('/')}/meshwork/v1/prometheus/targets";
        return new StringBuilder()
            .AppendLine("# Written by `meshwork up --addons prometheus` at every start; edits are overwritten.")
            .AppendLine("global:")
            .AppendLine($"  scrape_interval: {interval}")
            .AppendLine($"  evaluation_interval: {interval}")
            .AppendLine("scrape_configs:")
            // Istio's name for the job that scrapes the sidecars' Envoy and Istio metrics.
            .AppendLine("- job_name: envoy-stats")
            .AppendLine("  scheme: http")
            .AppendLine("  http_sd_configs:")
            .AppendLine($"  - url: {Quote(discovery)}")
            .AppendLine($"    refresh_interval: {interval}")
            .AppendLine("    authorization:")
            // Named, not defaulted: Debian's Prometheus 2.42 sends the bare token when the type is left out.
            .AppendLine("      type: Bearer")
            .AppendLine($"      credentials_file: {Quote(state.AdminTokenFile)}")
            .AppendLine("    tls_config:")
            .AppendLine($"      ca_file: {Quote(state.RootCertFile)}")
            .ToString();
    }

    /// <summary>The Service and Deployment, as a manifest <c>meshwork apply</c> reads.</summary>
    public static string Manifest(StateDirectory state, string binary)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentException.ThrowIfNullOrEmpty(binary);
        var port = Port.ToString(CultureInfo.InvariantCulture);
        string[] command =
        [
            binary,
            $"--config.file={ConfigFile(state)}",
            $"--storage.tsdb.path={Path.Combine(Directory(state), "data")}",
            "--storage.tsdb.retention.time=1d",
            // The runtime gives a pod without a sidecar its address and ports as HOST and PORT_<n>.
            $"--web.listen-address=$(HOST):$(PORT_{port})",
        ];
        return $"""
            apiVersion: v1
            kind: Service
            metadata:
              name: {Name}
              namespace: {Namespace}
              labels:
                app: {Name}
            spec:
              ports:
              - name: http
                port: {port}
                targetPort: {port}
              selector:
                app: {Name}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {Name}
              namespace: {Namespace}
              labels:
                app: {Name}
            spec:
              replicas: 1
              selector:
                matchLabels:
                  app: {Name}
              template:
                metadata:
                  labels:
                    app: {Name}
                  annotations:
                    sidecar.istio.io/inject: "false"
                spec:
                  containers:
                  - name: {Name}
                    # Istio's addon runs this image; here Debian's package runs as a process.
                    image: prom/prometheus
                    command: [{string.Join(", ", command.Select(Quote))}]
                    ports:
                    - containerPort: {port}
                    readinessProbe:
                      httpGet:
                        path: /-/ready
                        port: {port}

            """;
    }

    /// <summary>A YAML double-quoted scalar (JSON's string syntax is a subset of it).</summary>
    private static string Quote(string value) => JsonSerializer.Serialize(value);
}
