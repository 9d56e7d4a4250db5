namespace Meshwork.Api;

/// <summary>
/// The state directory (default ~/.meshwork; MESHWORK_STATE_DIR or --state-dir override) is to
/// Meshwork what a kubeconfig plus etcd is to Kubernetes. Its layout is a contract between the
/// control plane, the runtime and the CLI.
/// </summary>
public sealed record StateDirectory(string Root)
{
    public const string EnvironmentVariable = "MESHWORK_STATE_DIR";

    public static StateDirectory Resolve(string? explicitPath = null)
    {
        var path = explicitPath ?? Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrEmpty(path))
        {
            path = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".meshwork");
        }
        return new StateDirectory(Path.GetFullPath(path));
    }

    /// <summary>JSON {"url": "https://127.0.0.1:15012", "pid": 123}, written by a running control plane.</summary>
    public string ServerInfoFile => Path.Combine(Root, "server.json");
    /// <summary>The admin bearer token (0600), created at the control plane's first start.</summary>
    public string AdminTokenFile => Path.Combine(Root, "admin-token");
    /// <summary>A kubeconfig (0600, context "meshwork") for kubectl, rewritten at every control plane start.</summary>
    public string KubeconfigFile => Path.Combine(Root, "kubeconfig");
    /// <summary>The mesh root the control plane's serving certificate chains to; clients trust only this.</summary>
    public string RootCertFile => Path.Combine(Root, "root-cert.pem");
    public string DatabaseFile => Path.Combine(Root, "meshwork.db");
    /// <summary>CA keys and certificates (keys 0600).</summary>
    public string CaDirectory => Path.Combine(Root, "ca");
    /// <summary>JSON {"pid": 123} of the running local runtime.</summary>
    public string RuntimeInfoFile => Path.Combine(Root, "runtime.json");
    /// <summary>Per-pod folders: logs/&lt;container&gt;.log, etc/certs/ of its sidecar.</summary>
    public string PodDirectory(string @namespace, string pod) => Path.Combine(Root, "pods", @namespace, pod);
    /// <summary>What a container printed (stdout and stderr), as the runtime appends it.</summary>
    public string ContainerLogFile(string @namespace, string pod, string container) => Path.Combine(PodDirectory(@namespace, pod), "logs", $"{container}.log");
    public string LogDirectory => Path.Combine(Root, "logs");
}
