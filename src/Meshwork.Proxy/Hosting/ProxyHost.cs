using System.Collections.Frozen;
using System.Net;
using System.Text.Json;
using Meshwork.Identity;
using Meshwork.Proxy.Admin;
using Meshwork.Proxy.Configuration;
using Meshwork.Proxy.ControlPlaneClient;
using Meshwork.Proxy.Inbound;
using Meshwork.Proxy.Inbound.Forwarding;
using Meshwork.Proxy.Metrics;
using Meshwork.Proxy.Outbound;
using Meshwork.Proxy.Outbound.TlsOrigination;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.Snapshots;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Meshwork.Proxy.Hosting;

/// <summary>Startup failed before any port was bound; the message says what to fix.</summary>
public sealed class ProxyStartupException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The proxy's composition root: loads what it needs (failing before binding on bad input), binds
/// the inbound, outbound and admin listeners on the proxy's own sockets (Kestrel serves only the inbound
/// HTTP/2 connections, started by the first), and starts the control-plane client or the file watcher.
/// Tests host it in-process.
/// </summary>
public sealed class ProxyHost : IAsyncDisposable
{
    private readonly Http2Stage _http2;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _background = [];
    /// <summary>The proxy's listeners, on its own sockets: inbound ports first, then the outbound ones, then the admin and metrics listeners.</summary>
    private readonly List<Transport.SocketListener> _socketListeners = [];
    private readonly ILoggerFactory _loggerFactory;
    private readonly bool _ownsLoggerFactory;

    internal ProxyState State { get; }
    /// <summary>Whether Kestrel's HTTP/2 stage runs: only once an inbound HTTP/2 connection came.</summary>
    internal bool Http2Started => _http2.Started;
    internal ProxyMetrics Metrics { get; }
    internal LogLevelSwitch LogLevel { get; }
    public ProxyOptions Options { get; }
    /// <summary>Bound addresses (the real ports when 0 was asked for).</summary>
    public IPEndPoint OutboundEndPoint { get; private set; } = null!;
    public IPEndPoint AdminEndPoint { get; private set; } = null!;
    /// <summary>The inbound capture listener (capture mode), else null.</summary>
    public IPEndPoint? InboundCaptureEndPoint { get; private set; }
    /// <summary>The read-only metrics listener, when one was asked for.</summary>
    public IPEndPoint? MetricsEndPoint { get; private set; }
    public IReadOnlyDictionary<int, IPEndPoint> InboundEndPoints { get; private set; } = new Dictionary<int, IPEndPoint>();

    private ProxyHost(ProxyOptions options, Http2Stage http2, ProxyState state, ProxyMetrics metrics, LogLevelSwitch level, ILoggerFactory loggerFactory, bool ownsLoggerFactory)
    {
        Options = options; _http2 = http2; State = state; Metrics = metrics; LogLevel = level;
        _loggerFactory = loggerFactory; _ownsLoggerFactory = ownsLoggerFactory;
    }

    /// <param name="ownsProcess">The proxy is the process (its executable's entry point started it), not hosted in another:
    /// then it may release the process's start-up pages once ready (<see cref="CleanPagesTrim"/>).</param>
    public static async Task<ProxyHost> StartAsync(ProxyOptions options, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default, bool ownsProcess = false)
    {
        var level = new LogLevelSwitch(Microsoft.Extensions.Logging.LogLevel.Information);
        var ownsFactory = loggerFactory is null;
        loggerFactory ??= CreateLoggerFactory(level);
        var logger = loggerFactory.CreateLogger("Meshwork.Proxy");
        var state = new ProxyState(options.PodNamespace, TimeProvider.System);
        var metrics = new ProxyMetrics();
        metrics.CertificateNotAfter = () => state.Credentials?.NotAfter;

        // Initial load: fail hard, before binding, on anything missing or invalid.
        if (options.SnapshotFile is { } snapshotFile)
        {
            var snapshot = ReadSnapshotFile(snapshotFile);
            if (!state.TryApply(snapshot, out var error))
                throw new ProxyStartupException($"{snapshotFile}: snapshot {snapshot.Version} is invalid: {error}");
            ProxyLog.SnapshotApplied(logger, snapshot.Version, snapshotFile);
        }
        var needsCertificate = options.Role != ProxyRole.Network;
        if (needsCertificate && options.CertDirectory is { } certDir && File.Exists(Path.Combine(certDir, CertificateFiles.CertChain)))
        {
            try
            {
                var credentials = WorkloadCredentials.ReadFrom(certDir);
                state.SetCredentials(credentials);
                ProxyLog.CertificateLoaded(logger, credentials.Identity.Uri, credentials.Leaf.SerialNumber, credentials.NotAfter, certDir);
            }
            catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException or FormatException or InvalidOperationException or UnauthorizedAccessException or ArgumentException)
            {
                throw new ProxyStartupException($"{certDir}: cannot load the workload certificate: {e.Message}", e);
            }
        }
        else if (needsCertificate && options.SnapshotFile is not null && options.ControlPlane is null)
        {
            throw new ProxyStartupException($"running from {options.SnapshotFile} without a control plane needs {CertificateFiles.CertChain}, {CertificateFiles.Key} and {CertificateFiles.Root} in the cert dir ({options.CertDirectory ?? "unset"})");
        }

        var connector = new UpstreamConnector(state, metrics, TimeSpan.FromSeconds(10), options.HandshakeTimeout, IPAddress.Parse(options.PodIp));
        var outboundLogger = loggerFactory.CreateLogger("Meshwork.Proxy.Outbound");
        var call = new UpstreamCall(connector, metrics);
        var outboundRelay = new OutboundHttp1Relay(call, state, metrics, options.Limits.IdleTimeout, outboundLogger);
        var inboundLogger = loggerFactory.CreateLogger("Meshwork.Proxy.Inbound");
        var gate = new Inbound.Gate.InboundRequestGate(state, metrics, inboundLogger);
        var refusals = new Inbound.Protection.DownstreamRefusals(metrics, state, loggerFactory.CreateLogger("Meshwork.Proxy.Refused"));
        var inboundHttp = new InboundHttpHandler(gate, metrics, inboundLogger, options.Inbound);
        var admin = new AdminHandler(state, metrics, level, needsCertificate);
        var application = new ProxyHttpApplication(inboundHttp, logger);

        var podIp = IPAddress.Parse(options.PodIp);
        // Inbound ports run on the proxy's own sockets (sniff, TLS by mode, HTTP/1.1 relay or TCP relay); Kestrel
        // only serves the HTTP/2 connections the pipeline hands over, and is built when the first one comes.
        var http2Handoff = new Transport.HandoffListener(new Transport.HandoffEndPoint("inbound-http2"));
        var http2Stage = new Http2Stage(http2Handoff, () => BuildKestrel(options, http2Handoff, loggerFactory), application);
        var inboundListeners = new List<(int? Port, IPEndPoint Listen, Func<System.Net.Sockets.Socket, CancellationToken, Task> Serve)>();
        foreach (var target in options.Inbound)
        {
            var pipeline = new InboundPipeline(target, state, gate, http2Stage, metrics, options, refusals, inboundLogger);
            inboundListeners.Add((target.WorkloadPort, new IPEndPoint(podIp, target.WorkloadPort), pipeline.OnSocketAsync));
        }
        var outboundAddress = options.OutboundAddress ?? new IPEndPoint(podIp, 15001);
        var adminAddress = options.AdminAddress ?? new IPEndPoint(podIp, 15000);
        Func<System.Net.Sockets.Socket, CancellationToken, Task> serveOutbound = (socket, stopping) => outboundRelay.ServeAsync(socket, null, stopping);
        if (options.Capture)
        {
            // Capture: iptables brings every inbound connection to one listener, and the app's ports stay the app's.
            var captureAddress = options.InboundCaptureAddress ?? new IPEndPoint(IPAddress.Any, 15006);
            int[] proxyPorts = [captureAddress.Port, outboundAddress.Port, adminAddress.Port, .. options.MetricsAddress is { } m ? [m.Port] : Array.Empty<int>()];
            var capture = new Capture.InboundCapture(
                inboundListeners.ToFrozenDictionary(i => i.Port!.Value, i => i.Serve),
                proxyPorts.ToFrozenSet(),
                target => new InboundPipeline(target, state, gate, http2Stage, metrics, options, refusals, inboundLogger, passthrough: true).OnSocketAsync,
                inboundLogger);
            inboundListeners = [(null, captureAddress, capture.ServeAsync)];
            var transparent = new Capture.TransparentOutbound(outboundRelay, outboundRelay.Tunnel,
                new Capture.PassthroughRelay(metrics, TimeSpan.FromSeconds(10), outboundLogger), new Capture.BlackHole(metrics), state, options.SniffTimeout, outboundLogger);
            serveOutbound = transparent.ServeAsync;
        }
        // The outbound listeners (the app's http_proxy on :15001, with CONNECT, and the fixed listeners) run on
        // the proxy's own sockets: no Kestrel pipes or HttpClient on the path every app request takes.
        var outboundListeners = new List<(IPEndPoint Listen, Func<System.Net.Sockets.Socket, CancellationToken, Task> Serve)>
        {
            (outboundAddress, serveOutbound),
        };
        foreach (var fixedUpstream in options.FixedOutbound)
        {
            if (fixedUpstream.Http2)
            {
                // MESHWORK_UPSTREAM_HTTP2=1: requests share one HTTP/2 connection per endpoint instead of the relay.
                var http2 = new Outbound.Http2.Http2FixedForwarder(fixedUpstream, state, call, metrics, outboundLogger);
                outboundListeners.Add((fixedUpstream.Listen, http2.ServeAsync));
                continue;
            }
            var destination = new RequestDestination(fixedUpstream.Host.ToLowerInvariant(), fixedUpstream.Port, FromTarget: false);
            outboundListeners.Add((fixedUpstream.Listen, (socket, stopping) => outboundRelay.ServeAsync(socket, destination, stopping)));
        }
        outboundListeners.AddRange(Gateway.GatewayListeners.For(options, outboundRelay, state, loggerFactory.CreateLogger("Meshwork.Proxy.Gateway")));
        // The admin listeners run on the proxy's own HTTP/1.1 codec too: the pod's admin port (every path), and the
        // metrics port its peers may scrape (GET /stats/prometheus only).
        var adminListeners = new List<(string Name, IPEndPoint Listen, Func<System.Net.Sockets.Socket, CancellationToken, Task> Serve)>
        {
            ("admin", adminAddress, new AdminServer(admin.Handle, options.Limits).ServeAsync),
        };
        if (options.MetricsAddress is { } metricsAddress) adminListeners.Add(("metrics", metricsAddress, new AdminServer(admin.HandleMetrics, options.Limits).ServeAsync));

        var host = new ProxyHost(options, http2Stage, state, metrics, level, loggerFactory, ownsFactory);
        var inboundEndPoints = new Dictionary<int, IPEndPoint>();
        IEnumerable<(string Name, int? Port, IPEndPoint Listen, Func<System.Net.Sockets.Socket, CancellationToken, Task> Serve)> data =
            [.. inboundListeners.Select(i => ("inbound", i.Port, i.Listen, i.Serve)), .. outboundListeners.Select(o => ("outbound", (int?)null, o.Listen, o.Serve)),
             .. adminListeners.Select(a => (a.Name, (int?)null, a.Listen, a.Serve))];
        foreach (var (name, port, listen, serve) in data)
        {
            try
            {
                var limit = options.Limits.MaxConnections;
                var listener = Transport.SocketListener.Start(listen, serve, limit, remote => refusals.Refuse(name, listen.Port,
                    Inbound.Protection.RefusalReason.ConnectionLimit, remote, $"{limit} connections are open on this listener ({ProxyProtocol.ControlPlaneApi.ProxyEnvironment.MaxConnections})"));
                host._socketListeners.Add(listener);
                if (port is { } p) inboundEndPoints[p] = listener.EndPoint;
            }
            catch (System.Net.Sockets.SocketException e)
            {
                await host.DisposeAsync().ConfigureAwait(false);
                throw new ProxyStartupException($"cannot bind the {name} listener {listen}: {e.Message}", e);
            }
        }
        host.OutboundEndPoint = host._socketListeners[inboundListeners.Count].EndPoint;
        var adminAt = inboundListeners.Count + outboundListeners.Count;
        host.AdminEndPoint = host._socketListeners[adminAt].EndPoint;
        host.MetricsEndPoint = options.MetricsAddress is null ? null : host._socketListeners[adminAt + 1].EndPoint;
        host.InboundEndPoints = inboundEndPoints;
        if (options.Capture) host.InboundCaptureEndPoint = host._socketListeners[0].EndPoint;
        admin.Listeners = new BoundListeners(host.OutboundEndPoint, inboundEndPoints);
        ProxyLog.Listening(logger, options.ProxyId, options.Role.ToString().ToLowerInvariant(),
            $"outbound {host.OutboundEndPoint}, admin {host.AdminEndPoint}, "
            + (options.Capture ? $"inbound capture {host.InboundCaptureEndPoint}" : $"inbound {string.Join(", ", host.InboundEndPoints.Values)}")
            + (host.MetricsEndPoint is { } metricsEndPoint ? $", metrics {metricsEndPoint}" : ""));

        if (options.ControlPlane is not null && options.SnapshotFile is null)
        {
            var agentLogger = loggerFactory.CreateLogger("Meshwork.Proxy.ControlPlane");
            host._background.Add(Task.Run(() => BackgroundSupervisor.RunAsync("the control-plane client",
                ct => new ControlPlaneAgent(options, state, agentLogger).RunAsync(ct), agentLogger, state.Time, host._stopping.Token)));
        }
        else
        {
            host._background.Add(Task.Run(() => BackgroundSupervisor.RunAsync("the snapshot file watcher",
                ct => new LocalFileWatcher(options, state, logger).RunAsync(ct), logger, state.Time, host._stopping.Token)));
        }
        host._background.Add(Task.Run(async () =>
        {
            try { await QuietMemoryRelease.RunAsync(state, needsCertificate, releaseFilePages: ownsProcess, logger, host._stopping.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { }
        }));
        return host;
    }

    /// <summary>Kestrel for the inbound HTTP/2 connections handed over through <paramref name="handoff"/>; it binds no socket.</summary>
    private static KestrelServer BuildKestrel(ProxyOptions options, Transport.HandoffListener handoff, ILoggerFactory loggerFactory)
    {
        var services = new ServiceCollection().AddSingleton(loggerFactory).BuildServiceProvider();
        var kestrelOptions = new KestrelServerOptions { AddServerHeader = false, ApplicationServices = services };
        kestrelOptions.Limits.MaxRequestBodySize = null;
        kestrelOptions.Limits.MinRequestBodyDataRate = null;
        kestrelOptions.Limits.MinResponseDataRate = null;
        kestrelOptions.Limits.Http2.MaxStreamsPerConnection = 1000;
        // HTTP/2 connections handed over by the inbound pipeline idle out as the HTTP/1.1 relay's do.
        kestrelOptions.Limits.KeepAliveTimeout = options.Limits.IdleTimeout;
        // Mesh clients send the app's ":scheme: http" over the mesh's mTLS (Envoy does, and so does our own
        // HTTP/2 upstream): the scheme is the application's, not the transport's, so Kestrel must not reset it.
        kestrelOptions.AllowAlternateSchemes = true;
        kestrelOptions.Listen(handoff.EndPoint, listen => listen.Protocols = HttpProtocols.Http2);
        return new KestrelServer(Microsoft.Extensions.Options.Options.Create(kestrelOptions), new Transport.ProxyTransportFactory(handoff), loggerFactory);
    }

    internal static ProxySnapshot ReadSnapshotFile(string path)
    {
        try
        {
            var bytes = File.ReadAllBytes(path);
            return JsonSerializer.Deserialize(bytes, ProtocolJson.Default.ProxySnapshot)
                ?? throw new ProxyStartupException($"{path}: the file holds no snapshot");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ProxyStartupException($"{path}: cannot read the snapshot: {e.Message}", e);
        }
        catch (JsonException e)
        {
            throw new ProxyStartupException($"{path}: not a valid snapshot (line {e.LineNumber + 1}, {e.Path}): {e.Message}", e);
        }
    }

    /// <summary>Publishes a snapshot (tests, and the file watcher). Returns the validation error, or null.</summary>
    internal string? Apply(ProxySnapshot snapshot) => State.TryApply(snapshot, out var error) ? null : error;

    internal void SetCredentials(WorkloadCredentials credentials) => State.SetCredentials(credentials);

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_stopping.IsCancellationRequested) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var listener in _socketListeners) await listener.DisposeAsync().ConfigureAwait(false);
        await _http2.StopAsync(cancellationToken).ConfigureAwait(false);
        try { await Task.WhenAll(_background).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _http2.Dispose();
        if (_ownsLoggerFactory) _loggerFactory.Dispose();
        _stopping.Dispose();
    }

    internal static ILoggerFactory CreateLoggerFactory(LogLevelSwitch level) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Trace);
        // Kestrel warns at startup that plaintext listeners cannot negotiate HTTP/2; the inbound TLS stage does that itself.
        builder.AddFilter((category, l) => category is not null && category.StartsWith("Microsoft", StringComparison.Ordinal)
            ? l >= (category.StartsWith("Microsoft.AspNetCore.Server.Kestrel", StringComparison.Ordinal) ? Microsoft.Extensions.Logging.LogLevel.Error : Microsoft.Extensions.Logging.LogLevel.Warning) && l >= level.Level
            : l >= level.Level);
        builder.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ "; o.UseUtcTimestamp = true; });
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = Microsoft.Extensions.Logging.LogLevel.Trace);
    });
}

/// <summary>Istio's file names in the cert dir.</summary>
internal static class CertificateFiles
{
    public const string CertChain = "cert-chain.pem";
    public const string Key = "key.pem";
    public const string Root = "root-cert.pem";
}
