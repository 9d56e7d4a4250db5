using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Meshwork.Proxy.Configuration;
using Meshwork.Proxy.Forwarding;
using Meshwork.Proxy.Http1;
using Meshwork.Proxy.Inbound.Tls;
using Meshwork.Proxy.Metrics;
using Meshwork.ProxyProtocol.Authorization;
using Meshwork.ProxyProtocol.Snapshots;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Inbound.Forwarding;

/// <summary>
/// The inbound HTTP/1.1 stage without an HTTP object model: per request, authorization (when a policy
/// applies), then the request goes to the app on a kept-alive connection with
/// x-forwarded-client-cert set as Envoy sets it (any client-sent value dropped), and the response
/// comes back as the app framed it. Same outcomes, bodies, metrics and logs as <see cref="InboundHttpHandler"/>,
/// which still serves HTTP/2.
/// </summary>
internal sealed class InboundHttp1Relay(InboundTarget target, Hosting.ProxyState state, ProxyMetrics metrics, ILogger logger)
{
    private static readonly byte[] XfccName = "x-forwarded-client-cert"u8.ToArray();
    private static readonly byte[] PeerPrefix = Encoding.ASCII.GetBytes(PeerMetadata.Prefix);
    private static readonly byte[] PeerWorkload = Encoding.ASCII.GetBytes(PeerMetadata.Workload);
    private static readonly byte[] PeerApp = Encoding.ASCII.GetBytes(PeerMetadata.App);
    private static readonly byte[] PeerVersion = Encoding.ASCII.GetBytes(PeerMetadata.Version);
    private readonly UpstreamConnectionPool<int> _pool = new();

    /// <summary>
    /// Serves requests until the client closes; <paramref name="closeRequested"/> (the server stopping) ends it
    /// between requests. True when the connection must be reset: its port's mode no longer admits it.
    /// </summary>
    public async Task<bool> RunAsync(Stream downstream, InboundConnectionFeature connection, IPEndPoint? remote, IPEndPoint? local, CancellationToken cancellationToken, CancellationToken closeRequested)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, closeRequested);
        using var downIn = new HttpInput(downstream, RelaySide.Downstream);
        using var downOut = new HttpOutput(downstream, RelaySide.Downstream);
        using var pending = new HttpOutput(Stream.Null, RelaySide.Upstream);
        var xfccField = connection.ForwardedClientCert is { } xfcc ? Encoding.ASCII.GetBytes($"x-forwarded-client-cert: {xfcc}\r\n") : [];
        // The source workload comes with the first mTLS request that carries peer metadata; until then, the connection's labels.
        LabelsHandle? peerLabels = null;
        while (true)
        {
            int headLength;
            try { headLength = await downIn.ReadHeadAsync(downIn.Buffered > 0 ? cancellationToken : idle.Token).ConfigureAwait(false); }
            catch (HttpWireException e)
            {
                await Http1Relay.RefuseAsync(downOut, e, cancellationToken).ConfigureAwait(false);
                return false;
            }
            catch (Exception e) when (e is RelayException or OperationCanceledException) { return false; }
            if (headLength == 0) return false;
            var started = Stopwatch.GetTimestamp();
            var port = CurrentPort(connection);
            if (port is null || !ModeAdmits(port.Mode, connection.Tls))
            {
                // The port's mode changed under a kept-alive connection (PERMISSIVE -> STRICT, say): refused as a new connection would be.
                ProxyLog.InboundModeChanged(logger, connection.Port.Port, port?.Mode.ToString() ?? "removed");
                return true;
            }

            Http1Relay.RequestFrame frame;
            AuthzDecision? denied;
            pending.Discard();
            try { frame = Prepare(downIn, headLength, pending, connection, port, connection.Tls, remote, local, xfccField, ref peerLabels, out denied); }
            catch (HttpWireException e)
            {
                await Http1Relay.RefuseAsync(downOut, e, cancellationToken).ConfigureAwait(false);
                return false;
            }
            if (denied is not null)
            {
                // The body (if any) is not read: the connection closes after the answer.
                var close = frame.Close || frame.Framing != BodyFraming.None;
                await Http1Relay.WriteLocalResponseAsync(downOut, 403, InboundHttpHandler.RbacDeniedBody, close, cancellationToken).ConfigureAwait(false);
                metrics.RecordRequest(peerLabels ?? connection.Labels, 403, "RBAC", Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (close) return false;
                continue;
            }

            var hasBody = frame.Framing != BodyFraming.None;
            ExchangeResult result;
            var fresh = false;
            while (true)
            {
                var up = fresh ? null : _pool.TryTake(0);
                if (up is null)
                {
                    try { up = new UpstreamConnection(await ConnectAsync(cancellationToken).ConfigureAwait(false)); }
                    catch (SocketException e)
                    {
                        ProxyLog.InboundForwardFailed(logger, port.Port, UpstreamStage.Connect, e.Message);
                        var (status, flags) = ErrorResponder.Map(UpstreamStage.Connect, retried: false);
                        await Http1Relay.WriteLocalResponseAsync(downOut, status, "upstream connect error or disconnect/reset before headers. reset reason: connection failure", close: hasBody || frame.Close, cancellationToken).ConfigureAwait(false);
                        metrics.RecordRequest(peerLabels ?? connection.Labels, status, flags, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                        if (hasBody || frame.Close) return false;
                        result = default;
                        goto next;
                    }
                    catch (OperationCanceledException) { return false; }
                }
                up.Output.Append(pending.Written);
                result = await Http1Relay.ExchangeAsync(downIn, downOut, frame, up, cancellationToken).ConfigureAwait(false);
                if (result.UpstreamReusable) _pool.Return(0, up);
                else await up.DisposeAsync().ConfigureAwait(false);
                if (result.StaleConnection && !fresh) { fresh = true; continue; }
                break;
            }

            var finalStatus = result.Status;
            var finalFlags = ResponseFlags.None;
            if (result.FailedStage is { } failed)
            {
                (var mapped, finalFlags) = ErrorResponder.Map(failed, retried: false);
                if (failed != UpstreamStage.Downstream)
                {
                    ProxyLog.InboundForwardFailed(logger, port.Port, failed, result.Error ?? "");
                    if (!result.ResponseStarted)
                    {
                        finalStatus = mapped;
                        await Http1Relay.WriteLocalResponseAsync(downOut, mapped, result.Error ?? "upstream failure", close: result.DownstreamMustClose, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            metrics.RecordRequest(peerLabels ?? connection.Labels, finalStatus, finalFlags, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (result.DownstreamMustClose) return false;
            next:;
        }
    }

    /// <summary>The port as the current snapshot has it: one reference compare per request while nothing changed.</summary>
    private InboundPort? CurrentPort(InboundConnectionFeature connection)
    {
        var current = state.Config;
        if (current is null || ReferenceEquals(current, connection.Config)) return connection.Port;
        return current.InboundByPort.TryGetValue(connection.Port.Port, out var port) ? port : null;
    }

    private static bool ModeAdmits(InboundTlsMode mode, InboundTlsOutcome tls) => mode switch
    {
        InboundTlsMode.Strict => tls.IsMutual,
        InboundTlsMode.Disable => !tls.IsMutual,
        _ => true,
    };

    private async ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            if (IPAddress.TryParse(target.AppHost, out var ip)) await socket.ConnectAsync(new IPEndPoint(ip, target.AppPort), timeout.Token).ConfigureAwait(false);
            else await socket.ConnectAsync(target.AppHost, target.AppPort, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new SocketException((int)SocketError.TimedOut);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>Parses the head, authorizes it, and writes the app-bound head into <paramref name="pending"/>; consumes the head.</summary>
    private Http1Relay.RequestFrame Prepare(HttpInput downIn, int headLength, HttpOutput pending, InboundConnectionFeature connection, InboundPort port, InboundTlsOutcome tls,
        IPEndPoint? remote, IPEndPoint? local, byte[] xfccField, ref LabelsHandle? peerLabels, out AuthzDecision? denied)
    {
        var head = HttpHead.ParseRequest(downIn.Span[..headLength]);
        denied = null;
        if (!port.Authorization.IsDefaultOrEmpty)
        {
            var decision = Authorize(head, connection, port, tls, remote, local);
            if (!decision.Allowed)
            {
                ProxyLog.InboundDenied(logger, port.Port, Encoding.ASCII.GetString(head.First), PathOf(head.Second), decision.Reason);
                denied = decision;
            }
        }
        if (tls.IsMutual && peerLabels is null) peerLabels = PeerLabels(head, connection);
        var frame = Http1Relay.WriteRequestHead(head, pending, Http1Relay.OriginForm(head.Second), XfccName, xfccField, PeerPrefix);
        downIn.Consume(headLength);
        return frame;
    }

    /// <summary>The connection's labels with the peer's workload from its metadata fields; null when it sent none.</summary>
    private LabelsHandle? PeerLabels(in HttpHead head, InboundConnectionFeature connection)
    {
        if (connection.PeerLabels is { } cached) return cached;
        var workloadField = head.Field(PeerWorkload);
        if (workloadField.IsEmpty) return null;
        var workload = Encoding.ASCII.GetString(workloadField);
        var appField = head.Field(PeerApp);
        var versionField = head.Field(PeerVersion);
        var app = appField.IsEmpty ? null : Encoding.ASCII.GetString(appField);
        var labels = metrics.Intern(connection.BaseLabels with
        {
            SourceWorkload = workload,
            SourceCanonicalService = app ?? workload,
            SourceApp = app ?? MetricLabels.Unknown,
            SourceVersion = versionField.IsEmpty ? MetricLabels.Unknown : Encoding.ASCII.GetString(versionField),
        });
        connection.PeerLabels = labels;
        return labels;
    }

    private AuthzDecision Authorize(in HttpHead head, InboundConnectionFeature connection, InboundPort port, InboundTlsOutcome tls, IPEndPoint? remote, IPEndPoint? local)
    {
        var headers = connection.HeaderLookup ??= new HeadFieldLookup();
        headers.Load(head);
        var hostField = head.Field("host"u8);
        if (hostField.LastIndexOf((byte)':') is var colon and > 0 && hostField[^1] != (byte)']') hostField = hostField[..colon];
        var request = new AuthzRequest
        {
            IsHttp = true,
            Principal = (tls as InboundTlsOutcome.Mutual)?.PeerPrincipal,
            SourceIp = remote?.Address,
            RemoteIp = remote?.Address,
            DestinationIp = local?.Address,
            DestinationPort = port.Port,
            Host = hostField.IsEmpty ? null : Encoding.Latin1.GetString(hostField),
            Method = MethodName(head.First),
            Path = PathOf(head.Second),
            Header = headers.Lookup,
        };
        try
        {
            return AuthzEvaluator.Evaluate(port.Authorization, request);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.LogError(e, "authorization evaluation failed on port {Port}; denying", port.Port);
            return new AuthzDecision { Allowed = false, Reason = $"authorization could not be evaluated: {e.Message}" };
        }
    }

    private static readonly string[] CommonMethods = ["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"];

    /// <summary>The method as a string, without allocating for the common ones.</summary>
    private static string MethodName(ReadOnlySpan<byte> method)
    {
        foreach (var known in CommonMethods)
        {
            if (Ascii.Equals(method, known)) return known;
        }
        return Encoding.ASCII.GetString(method);
    }

    /// <summary>The path of a request target, without the query (what authorization matches).</summary>
    private static string PathOf(ReadOnlySpan<byte> target)
    {
        var origin = Http1Relay.OriginForm(target);
        var query = origin.IndexOf((byte)'?');
        var path = Encoding.ASCII.GetString(query >= 0 ? origin[..query] : origin);
        return path.Contains('%', StringComparison.Ordinal) ? Uri.UnescapeDataString(path) : path;
    }
}
