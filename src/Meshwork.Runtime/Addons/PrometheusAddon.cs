using System.Globalization;
using System.Text;
using System.Text.Json;
using Meshwork.Api;
using Meshwork.Runtime.Processes;

namespace Meshwork.Runtime.Addons;

/// <summary>
/// Istio's samples/addons/prometheus.yaml for the local runtime: Debian's <c>prometheus</c> run as a
/// Deployment in istio-system (so the runtime starts, restarts and stops it like any pod, in its own
/// sandbox in the pod network mode) behind a Service <c>prometheus</c> on port 9090, scraping every
/// proxy the control plane lists through its HTTP service-discovery endpoint.
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

    /// <summary>
    /// &lt;state&gt;/addons/prometheus: what Prometheus's pod is given (its configuration, the discovery token, the mesh
    /// root), which the runtime copies into the pod's own folder as <see cref="AddonPodFiles.Folder"/>/ (see there).
    /// </summary>
    public static string Directory(StateDirectory state) => AddonPodFiles.Source(state, Name);

    public const string ConfigFileName = "prometheus.yml";
    public const string TokenFileName = "discovery-token";
    public const string RootCertFileName = "root-cert.pem";

    /// <summary>
    /// Writes the files of <see cref="Directory"/>, each readable by the runtime's user only: the configuration, the
    /// read-only discovery token (never the admin token: a pod holds no credential that could administer the mesh),
    /// and the mesh root the control plane's serving certificate chains to.
    /// </summary>
    public static void WriteFiles(StateDirectory state, string controlPlaneUrl)
    {
        ArgumentNullException.ThrowIfNull(state);
        var folder = Directory(state);
        System.IO.Directory.CreateDirectory(folder);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        PrivateFile.Write(Path.Combine(folder, ConfigFileName), Config(controlPlaneUrl));
        PrivateFile.Write(Path.Combine(folder, TokenFileName), DiscoveryToken.Derive(File.ReadAllText(state.AdminTokenFile)) + "\n");
        PrivateFile.Write(Path.Combine(folder, RootCertFileName), File.ReadAllText(state.RootCertFile));
    }

    /// <summary>
    /// istiod's address for Prometheus: the pods' own way to the control plane in the pod network mode (the first
    /// replica's relay: an http_sd_configs entry takes one URL), else the host's.
    /// </summary>
    public static string ControlPlaneUrl(bool podNetwork, string hostUrl) => podNetwork ? Pods.PodIsolation.ControlPlaneUrls(1) : hostUrl;

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
    /// Prometheus's configuration: one job over the control plane's service discovery, which Prometheus reaches over
    /// HTTPS trusting only the mesh root and authenticates with the discovery token. Its files are named relative to
    /// the configuration's own folder (Prometheus resolves them so), which is the same in every pod network mode.
    /// </summary>
    public static string Config(string controlPlaneUrl)
    {
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
            .AppendLine($"      credentials_file: {TokenFileName}")
            .AppendLine("    tls_config:")
            .AppendLine($"      ca_file: {RootCertFileName}")
            .ToString();
    }

    /// <summary>The Service and Deployment, as a manifest <c>meshwork apply</c> reads.</summary>
    public static string Manifest(string binary)
    {
        ArgumentException.ThrowIfNullOrEmpty(binary);
        var port = Port.ToString(CultureInfo.InvariantCulture);
        // Relative to the pod's folder, its working directory in every mode; the data lives and goes with the pod, as
        // the emptyDir of Istio's addon does.
        string[] command =
        [
            binary,
            $"--config.file={AddonPodFiles.Folder}/{ConfigFileName}",
            $"--storage.tsdb.path={AddonPodFiles.Folder}/data",
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
                    {AddonPodFiles.Annotation}: {Name}
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
