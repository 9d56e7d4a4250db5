using System.Net;
using Meshwork.Api;
using Microsoft.Extensions.Logging;

namespace Meshwork.ControlPlane.Hosting;

/// <summary>How to run a control plane. Everything but the state directory has a default.</summary>
public sealed record ControlPlaneOptions
{
    public const int DefaultPort = 15012;

    public required StateDirectory StateDirectory { get; init; }

    /// <summary>The address to listen on; loopback unless the mesh spans hosts.</summary>
    public IPAddress ListenAddress { get; init; } = IPAddress.Loopback;

    /// <summary>0 picks a free port (tests); the URL actually served is <see cref="RunningControlPlane.Url"/>.</summary>
    public int Port { get; init; } = DefaultPort;

    public string TrustDomain { get; init; } = "cluster.local";

    /// <summary>A directory with Istio's cacerts files (ca-cert.pem, ca-key.pem, root-cert.pem, cert-chain.pem); null for the self-signed root in the state directory.</summary>
    public string? CacertsDirectory { get; init; }

    /// <summary>
    /// A PostgreSQL URL (postgres://user@host:port/database) that several replicas share; null for
    /// the SQLite file of the state directory.
    /// </summary>
    public string? StoreUrl { get; init; }

    /// <summary>The 256-bit key that seals the mesh's CA key material in a PostgreSQL store; required with <see cref="StoreUrl"/>.</summary>
    public string? CaKeyFile { get; init; }

    /// <summary>Requests with a larger body are refused with 413 RequestEntityTooLarge.</summary>
    public long MaxRequestBodyBytes { get; init; } = 4 * 1024 * 1024;

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// Lifetime of the workload certificates this control plane signs when a CSR asks for none (istiod's
    /// DEFAULT_WORKLOAD_CERT_TTL); null for the CA's default, 24 h. Short lifetimes exercise rotation and expiry.
    /// </summary>
    public TimeSpan? WorkloadCertificateTtl { get; init; }

    /// <summary>Runs commands in pods' containers for <c>kubectl exec</c>; the program that runs the local runtime beside the control plane supplies it. Null refuses exec.</summary>
    public ConfigApi.PodExec.IContainerCommands? ContainerCommands { get; init; }

    /// <summary>Dials pods' ports on their own localhost for <c>kubectl port-forward</c>; the program that runs the local runtime beside the control plane supplies it. Null refuses port-forward.</summary>
    public ConfigApi.PortForward.IPodPorts? PodPorts { get; init; }

    /// <summary>Replaces the default logging (console, Information) when set; tests route logs elsewhere or drop them.</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; init; }
}
