using System.Collections.Immutable;
using System.Net;
using System.Text.Json;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Configuration;

/// <summary>Where the sidecar forwards one workload port: the app's host and port.</summary>
public sealed record InboundTarget(int WorkloadPort, string AppHost, int AppPort);

/// <summary>
/// A fixed local listener for one upstream service port (Consul's upstreams): Listen → Host:Port.
/// <paramref name="Http2"/>: requests go to mTLS endpoints multiplexed on one HTTP/2 connection per endpoint
/// (<see cref="ProxyEnvironment.UpstreamHttp2"/>) instead of the HTTP/1.1 keep-alive relay.
/// </summary>
public sealed record FixedUpstream(IPEndPoint Listen, string Host, int Port, bool Http2 = false);

/// <summary>A gateway listener: where it binds, and the Gateway server port whose servers and routes it serves.</summary>
public sealed record GatewayPort(IPEndPoint Listen, int Port);

/// <summary>
/// Everything the proxy is started with. Built from the environment (<see cref="ProxyEnvironment"/>)
/// and flags; invalid input is reported in one pass and the proxy exits before binding any port.
/// </summary>
public sealed record ProxyOptions
{
    public ProxyRole Role { get; init; } = ProxyRole.Sidecar;
    /// <summary>The control-plane replicas, tried in order; the agent moves to the next when its replica goes away.</summary>
    public ControlPlaneAddresses? ControlPlane { get; init; }
    public string? ControlPlaneRootFile { get; init; }
    public string? BootstrapToken { get; init; }
    /// <summary>Where the runtime writes the bootstrap token; read again whenever a token is needed (tokens are one-time).</summary>
    public string? BootstrapTokenFile { get; init; }
    public string? CertDirectory { get; init; }
    public ImmutableArray<InboundTarget> Inbound { get; init; } = [];
    public IPEndPoint? OutboundAddress { get; init; }
    /// <summary>Fixed local listeners for upstream services (<see cref="ProxyEnvironment.OutboundFixed"/>).</summary>
    public ImmutableArray<FixedUpstream> FixedOutbound { get; init; } = [];
    /// <summary>Role Gateway: the listeners for the Gateway servers' ports.</summary>
    public ImmutableArray<GatewayPort> GatewayPorts { get; init; } = [];
    public IPEndPoint? AdminAddress { get; init; }
    /// <summary>
    /// <see cref="ProxyEnvironment.Capture"/> = iptables: the proxy is in its pod's network namespace with transparent
    /// capture; the outbound listener reads each connection's original destination, the inbound capture listener
    /// serves every inbound port, and the app's ports are not listened on.
    /// </summary>
    public bool Capture { get; init; }
    /// <summary>The inbound capture listener (capture only; Istio's 15006).</summary>
    public IPEndPoint? InboundCaptureAddress { get; init; }
    /// <summary>The read-only metrics listener (Istio's 15090: GET /stats/prometheus only); null: none.</summary>
    public IPEndPoint? MetricsAddress { get; init; }
    public string? SnapshotFile { get; init; }
    public string PodName { get; init; } = "unknown";
    public string PodNamespace { get; init; } = "default";
    public string PodIp { get; init; } = "127.0.0.1";
    public string? ServiceAccount { get; init; }
    public string? Workload { get; init; }
    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public string TrustDomain { get; init; } = "cluster.local";
    /// <summary>How long inbound sniffing waits for the first bytes before treating a TCP connection as plaintext.</summary>
    public TimeSpan SniffTimeout { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Connections, pending connections and the request-head clock per listener (<see cref="ConnectionLimits"/>).</summary>
    public ConnectionLimits Limits { get; init; } = ConnectionLimits.Default;
    /// <summary>
    /// Longest snapshot line the proxy reads from the control plane (default 16 MiB, over three times the snapshot of a
    /// mesh of 10,000 services); a longer one is NACKed unread and the last good snapshot stays, so a resource set that
    /// expands into an enormous snapshot cannot take the proxy's memory.
    /// </summary>
    public long MaxSnapshotBytes { get; init; } = DefaultMaxSnapshotBytes;
    public const long DefaultMaxSnapshotBytes = 16 * 1024 * 1024;
    /// <summary>Checks for a changed snapshot file or rotated certificate files (running without a control plane).</summary>
    public TimeSpan FilePollInterval { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>HTTP/2 to mTLS endpoints (<see cref="ProxyEnvironment.UpstreamHttp2"/>; off unless "1"); carried by each <see cref="FixedUpstream"/>.</summary>
    public bool UpstreamHttp2 { get; init; }

    public string ProxyId => $"{PodName}.{PodNamespace}";

    /// <summary>Reads the proxy's environment, then applies "--name value" flags of the same meaning.</summary>
    public static ProxyOptions FromEnvironment(IReadOnlyDictionary<string, string?> env, IReadOnlyList<string> args, out List<string> errors)
    {
        errors = [];
        var values = new Dictionary<string, string?>(env, StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var flag = args[i];
            if (!flag.StartsWith("--", StringComparison.Ordinal)) { errors.Add($"unexpected argument '{flag}'"); continue; }
            var name = flag[2..];
            string? value = null;
            var eq = name.IndexOf('=');
            if (eq >= 0) { value = name[(eq + 1)..]; name = name[..eq]; }
            else if (i + 1 < args.Count) value = args[++i];
            var key = FlagToVariable(name);
            if (key is null) { errors.Add($"unknown flag '--{name}'"); continue; }
            values[key] = value;
        }

        string? Get(string key) => values.TryGetValue(key, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

        var options = new ProxyOptions();
        var roleText = Get(ProxyEnvironment.Role) ?? "sidecar";
        ProxyRole role;
        switch (roleText.ToLowerInvariant())
        {
            case "sidecar": role = ProxyRole.Sidecar; break;
            case "gateway": role = ProxyRole.Gateway; break;
            case "network": role = ProxyRole.Network; break;
            default: errors.Add($"{ProxyEnvironment.Role}: '{roleText}' is not one of sidecar, gateway, network"); role = ProxyRole.Sidecar; break;
        }

        var podIp = Get(ProxyEnvironment.PodIp) ?? "127.0.0.1";
        if (!IPAddress.TryParse(podIp, out _)) errors.Add($"{ProxyEnvironment.PodIp}: '{podIp}' is not an IP address");

        ControlPlaneAddresses? controlPlane = null;
        if (Get(ProxyEnvironment.ControlPlane) is { } cp)
        {
            if (ControlPlaneAddresses.TryParse(cp, out var addresses, out var problem)) controlPlane = addresses;
            else errors.Add($"{ProxyEnvironment.ControlPlane}: {problem}");
        }

        string? token = Get(ProxyEnvironment.BootstrapToken);
        if (Get(ProxyEnvironment.BootstrapTokenFile) is { } tokenFile)
        {
            try { token = File.ReadAllText(tokenFile).Trim(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            { errors.Add($"{ProxyEnvironment.BootstrapTokenFile}: cannot read '{tokenFile}': {e.Message}"); }
        }

        var inbound = ParseInbound(Get(ProxyEnvironment.InboundPorts), errors);
        var fixedOutbound = ParseFixedOutbound(Get(ProxyEnvironment.OutboundFixed), errors);
        var gatewayPorts = ParseGatewayPorts(Get(ProxyEnvironment.GatewayPorts), errors);
        var capture = false;
        switch (Get(ProxyEnvironment.Capture))
        {
            case null: break;
            case "iptables": capture = true; break;
            case var other: errors.Add($"{ProxyEnvironment.Capture}: '{other}' is not 'iptables' (unset: no capture)"); break;
        }
        // In capture mode the pod's loopback is the pod's own: the outbound and admin listeners stay on it (Istio's
        // 127.0.0.1:15001 and :15000), out of reach of other pods.
        var localIp = capture ? "127.0.0.1" : podIp;
        var outbound = ParseEndpoint(ProxyEnvironment.OutboundAddress, Get(ProxyEnvironment.OutboundAddress) ?? $"{localIp}:15001", errors);
        var admin = ParseEndpoint(ProxyEnvironment.AdminAddress, Get(ProxyEnvironment.AdminAddress) ?? $"{localIp}:15000", errors);
        var inboundCapture = capture ? ParseEndpoint(ProxyEnvironment.InboundCaptureAddress, Get(ProxyEnvironment.InboundCaptureAddress) ?? "0.0.0.0:15006", errors) : null;
        var metricsAddress = Get(ProxyEnvironment.MetricsAddress) is { } m ? ParseEndpoint(ProxyEnvironment.MetricsAddress, m, errors) : null;

        var labels = ImmutableSortedDictionary<string, string>.Empty;
        if (Get(ProxyEnvironment.PodLabels) is { } labelsJson)
        {
            try
            {
                using var doc = JsonDocument.Parse(labelsJson);
                var builder = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
                foreach (var p in doc.RootElement.EnumerateObject()) builder[p.Name] = p.Value.ToString();
                labels = builder.ToImmutable();
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            { errors.Add($"{ProxyEnvironment.PodLabels}: not a JSON object of strings ({e.Message})"); }
        }

        var snapshotFile = Get(ProxyEnvironment.SnapshotFile);
        var certDir = Get(ProxyEnvironment.CertDirectory);
        if (role != ProxyRole.Network)
        {
            if (certDir is null) errors.Add($"{ProxyEnvironment.CertDirectory} is required for role {roleText}");
            if (snapshotFile is null && controlPlane is null)
                errors.Add($"set {ProxyEnvironment.ControlPlane} (with {ProxyEnvironment.BootstrapTokenFile}) or {ProxyEnvironment.SnapshotFile}");
            if (snapshotFile is null && controlPlane is not null && Get(ProxyEnvironment.ControlPlaneRoot) is null)
                errors.Add($"{ProxyEnvironment.ControlPlaneRoot} is required with {ProxyEnvironment.ControlPlane}");
        }
        else if (snapshotFile is null && controlPlane is null)
        {
            errors.Add($"set {ProxyEnvironment.ControlPlane} or {ProxyEnvironment.SnapshotFile}");
        }

        var upstreamHttp2 = Get(ProxyEnvironment.UpstreamHttp2) == "1";
        var limits = ConnectionLimits.Parse(Get, errors);
        var maxSnapshot = DefaultMaxSnapshotBytes;
        if (Get(ProxyEnvironment.MaxSnapshotBytes) is { } maxSnapshotText
            && (!long.TryParse(maxSnapshotText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out maxSnapshot) || maxSnapshot <= 0))
        {
            errors.Add($"{ProxyEnvironment.MaxSnapshotBytes}: '{maxSnapshotText}' is not a positive whole number of bytes");
            maxSnapshot = DefaultMaxSnapshotBytes;
        }
        return options with
        {
            Role = role,
            ControlPlane = controlPlane,
            ControlPlaneRootFile = Get(ProxyEnvironment.ControlPlaneRoot),
            BootstrapToken = token,
            BootstrapTokenFile = Get(ProxyEnvironment.BootstrapTokenFile),
            CertDirectory = certDir,
            Inbound = inbound,
            OutboundAddress = outbound,
            FixedOutbound = upstreamHttp2 ? [.. fixedOutbound.Select(f => f with { Http2 = true })] : fixedOutbound,
            GatewayPorts = gatewayPorts,
            AdminAddress = admin,
            Capture = capture,
            InboundCaptureAddress = inboundCapture,
            MetricsAddress = metricsAddress,
            SnapshotFile = snapshotFile,
            PodName = Get(ProxyEnvironment.PodName) ?? "unknown",
            PodNamespace = Get(ProxyEnvironment.PodNamespace) ?? "default",
            PodIp = podIp,
            ServiceAccount = Get(ProxyEnvironment.ServiceAccount),
            Workload = Get(ProxyEnvironment.Workload),
            Labels = labels,
            UpstreamHttp2 = upstreamHttp2,
            Limits = limits,
            MaxSnapshotBytes = maxSnapshot,
        };
    }

    internal static ImmutableArray<InboundTarget> ParseInbound(string? text, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(text)) return [];
        var result = ImmutableArray.CreateBuilder<InboundTarget>();
        foreach (var raw in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = raw.IndexOf('=');
            var colon = raw.LastIndexOf(':');
            if (eq <= 0 || colon < eq
                || !int.TryParse(raw.AsSpan(0, eq), out var port) || port is <= 0 or > 65535
                || !int.TryParse(raw.AsSpan(colon + 1), out var appPort) || appPort is <= 0 or > 65535
                || colon == eq + 1)
            {
                errors.Add($"{ProxyEnvironment.InboundPorts}: '{raw}' is not of the form workloadPort=appHost:appPort (e.g. 8000=127.0.0.1:18000)");
                continue;
            }
            result.Add(new InboundTarget(port, raw[(eq + 1)..colon], appPort));
        }
        return result.ToImmutable();
    }

    internal static ImmutableArray<FixedUpstream> ParseFixedOutbound(string? text, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(text)) return [];
        var result = ImmutableArray.CreateBuilder<FixedUpstream>();
        foreach (var raw in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = raw.IndexOf('=');
            var colon = raw.LastIndexOf(':');
            if (eq <= 0 || colon <= eq + 1
                || !IPEndPoint.TryParse(raw.AsSpan(0, eq), out var listen) || listen.Port == 0 || !raw.AsSpan(0, eq).Contains(':')
                || !int.TryParse(raw.AsSpan(colon + 1), out var port) || port is <= 0 or > 65535)
            {
                errors.Add($"{ProxyEnvironment.OutboundFixed}: '{raw}' is not of the form listenIp:port=service.namespace:port (e.g. 127.0.0.1:9080=reviews.bookinfo:9080)");
                continue;
            }
            result.Add(new FixedUpstream(listen, raw[(eq + 1)..colon], port));
        }
        return result.ToImmutable();
    }

    /// <summary>"listenIp:port=gatewayPort,…", e.g. 127.0.5.2:80=80 (a listener may bind another port than the Gateway's, as a Service's targetPort does).</summary>
    internal static ImmutableArray<GatewayPort> ParseGatewayPorts(string? text, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(text)) return [];
        var result = ImmutableArray.CreateBuilder<GatewayPort>();
        foreach (var raw in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = raw.IndexOf('=');
            if (eq <= 0 || !raw.AsSpan(0, eq).Contains(':') || !IPEndPoint.TryParse(raw.AsSpan(0, eq), out var listen)
                || !int.TryParse(raw.AsSpan(eq + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is <= 0 or > 65535)
            {
                errors.Add($"{ProxyEnvironment.GatewayPorts}: '{raw}' is not of the form listenIp:port=gatewayPort (e.g. 127.0.5.2:8080=80)");
                continue;
            }
            result.Add(new GatewayPort(listen, port));
        }
        return result.ToImmutable();
    }

    private static IPEndPoint? ParseEndpoint(string variable, string text, List<string> errors)
    {
        if (IPEndPoint.TryParse(text, out var ep) && text.Contains(':')) return ep;
        errors.Add($"{variable}: '{text}' is not an ip:port address");
        return null;
    }

    private static string? FlagToVariable(string flag) => flag switch
    {
        "control-plane" => ProxyEnvironment.ControlPlane,
        "control-plane-root" => ProxyEnvironment.ControlPlaneRoot,
        "bootstrap-token-file" => ProxyEnvironment.BootstrapTokenFile,
        "role" => ProxyEnvironment.Role,
        "cert-dir" => ProxyEnvironment.CertDirectory,
        "inbound" => ProxyEnvironment.InboundPorts,
        "outbound-address" => ProxyEnvironment.OutboundAddress,
        "admin-address" => ProxyEnvironment.AdminAddress,
        "capture" => ProxyEnvironment.Capture,
        "inbound-capture-address" => ProxyEnvironment.InboundCaptureAddress,
        "metrics-address" => ProxyEnvironment.MetricsAddress,
        "snapshot-file" => ProxyEnvironment.SnapshotFile,
        "pod-name" => ProxyEnvironment.PodName,
        "pod-namespace" => ProxyEnvironment.PodNamespace,
        "pod-ip" => ProxyEnvironment.PodIp,
        "service-account" => ProxyEnvironment.ServiceAccount,
        "workload" => ProxyEnvironment.Workload,
        _ => null,
    };
}
