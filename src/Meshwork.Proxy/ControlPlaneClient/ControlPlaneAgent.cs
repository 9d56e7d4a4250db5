using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Meshwork.Identity;
using Meshwork.Proxy.Configuration;
using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.Identity;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.ControlPlaneClient;

/// <summary>
/// The proxy's side of the control plane: obtain a certificate (CSR + bootstrap token; the key never
/// leaves the proxy), hold one HTTP/2 stream of snapshots (apply, then ACK or NACK), reconnect with
/// backoff while serving the last good state, and renew the certificate at half its lifetime with a
/// CSR authenticated by the current certificate. With several control-plane replicas it talks to one
/// at a time and moves to the next when that one fails (<see cref="ControlPlaneFailover"/>).
/// </summary>
internal sealed partial class ControlPlaneAgent(ProxyOptions options, ProxyState state, ILogger logger)
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The wait before another replica is tried once the stream's own failed: a spread only, so that the proxies of a
    /// replica that died do not all reach the next one in the same instant. The next replica is not the one that
    /// failed, so waiting out the backoff first would only leave the proxy longer on its last snapshot.
    /// </summary>
    private static readonly TimeSpan MoveDelay = TimeSpan.FromMilliseconds(200);
    private readonly X509Certificate2Collection _controlPlaneRoots = LoadRoots(options.ControlPlaneRootFile);
    private readonly ControlPlaneFailover _replicas = new(options.ControlPlane ?? throw new ProxyStartupException($"{ProxyEnvironment.ControlPlane} is not set"));

    private readonly HeldSnapshotCache _held = new();
    private TrustBundle? _issuedBundle;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var identity = new SpiffeId(options.TrustDomain, options.PodNamespace, options.ServiceAccount ?? "default");
        var initial = LoadFromDisk(identity);
        using var expiry = new CertificateExpiryAlarm(state.Time, logger);
        if (initial is not null)
        {
            state.SetCredentials(initial);
            expiry.Watch(initial);
        }
        // Identity's renewer owns the schedule (half the lifetime, jitter, backoff); this class owns the wire.
        // Retries back off no further than the stream's reconnects: a proxy whose certificate expired while
        // the control plane was away asks again soon after it returns.
        await using var renewer = new CredentialRenewer(identity, RequestChainAsync, new CredentialRenewerOptions
        {
            Time = state.Time,
            TrustBundle = () => state.Config?.TrustBundle ?? _issuedBundle,
            MaxRetryDelay = MaxBackoff,
        }, initial);
        renewer.CredentialsChanged += (_, credentials) =>
        {
            if (options.CertDirectory is { } dir)
            {
                try { Directory.CreateDirectory(dir); credentials.WriteTo(dir); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { ProxyLog.ReloadFailed(logger, dir, e.Message); }
            }
            state.SetCredentials(credentials);
            expiry.Watch(credentials);
            ProxyLog.CertificateLoaded(logger, credentials.Identity.Uri, credentials.Leaf.SerialNumber, credentials.NotAfter, "issued by the control plane");
        };
        renewer.RenewalFailed += (_, e) => ProxyLog.RenewalFailed(logger, renewer.NextAttemptAt is { } at ? at - state.Time.GetUtcNow() : TimeSpan.Zero, e.Message);
        renewer.Start();
        try
        {
            await renewer.WaitForCredentialsAsync(cancellationToken).ConfigureAwait(false);
            await StreamLoopAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { }
    }

    private WorkloadCredentials? LoadFromDisk(SpiffeId identity)
    {
        if (options.CertDirectory is not { } dir || !File.Exists(Path.Combine(dir, CertificateFiles.CertChain))) return null;
        try
        {
            var onDisk = WorkloadCredentials.ReadFrom(dir);
            if (onDisk.Identity == identity && onDisk.NotAfter > state.Time.GetUtcNow().AddMinutes(1))
            {
                ProxyLog.CertificateLoaded(logger, onDisk.Identity.Uri, onDisk.Leaf.SerialNumber, onDisk.NotAfter, dir);
                return onDisk;
            }
        }
        catch (Exception e) when (e is IOException or CryptographicException or FormatException or InvalidOperationException or ArgumentException)
        {
            ProxyLog.ReloadFailed(logger, dir, e.Message);
        }
        return null;
    }

    /// <summary>Sends a CSR: authenticated by the current certificate while it is valid, else by the bootstrap token.</summary>
    private async Task<IReadOnlyList<string>> RequestChainAsync(string csr, CancellationToken cancellationToken)
    {
        var current = state.Credentials;
        var renewal = current is not null && current.NotAfter > state.Time.GetUtcNow();
        using var client = CreateClient(presentCertificate: renewal);
        var controlPlane = _replicas.Current;
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(controlPlane, ControlPlanePaths.Certificates))
        {
            Content = JsonContent.Create(new ProxyProtocol.ControlPlaneApi.CertificateRequest { Csr = csr }, ProtocolJson.Default.CertificateRequest),
        };
        if (!renewal)
        {
            var token = BootstrapTokenFile.Current(options)
                ?? throw new InvalidOperationException("no bootstrap token (MESHWORK_BOOTSTRAP_TOKEN_FILE) to obtain a certificate");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        try
        {
            using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                throw new HttpRequestException($"certificate request refused: {(int)response.StatusCode} {body.Trim()}", null, response.StatusCode);
            }
            var issued = await response.Content.ReadFromJsonAsync(ProtocolJson.Default.CertificateResponse, cancellationToken).ConfigureAwait(false)
                ?? throw new HttpRequestException("certificate response was empty");
            if (!issued.TrustBundle.IsDefaultOrEmpty) _issuedBundle = TrustBundle.FromPem(issued.TrustBundle);
            return issued.CertChain;
        }
        catch (HttpRequestException e) when (!cancellationToken.IsCancellationRequested && (e.StatusCode is null || (int)e.StatusCode >= 500))
        {
            // Unreachable or failing (a refusal of the token would be the same on every replica): the
            // renewer retries on its own schedule, and that attempt goes to the next replica.
            _replicas.MoveOnFrom(controlPlane);
            throw;
        }
    }

    private async Task StreamLoopAsync(CancellationToken cancellationToken)
    {
        var delay = FirstDelay;
        while (!cancellationToken.IsCancellationRequested)
        {
            var controlPlane = _replicas.Current;
            var wait = delay;
            try
            {
                await StreamOnceAsync(controlPlane, cancellationToken).ConfigureAwait(false);
                delay = wait = FirstDelay;
                ProxyLog.ControlPlaneUnavailable(logger, controlPlane, wait, "the snapshot stream ended");
            }
            catch (Exception e) when (IsTransient(e, cancellationToken))
            {
                var next = _replicas.MoveOnFrom(controlPlane);
                // A replica not yet tried since the last success is tried at once (after the spread); the backoff
                // starts from the first delay again, and grows only once every replica failed.
                if (!_replicas.AllFailed) (delay, wait) = (FirstDelay, MoveDelay);
                else wait = delay;
                if (next == controlPlane) ProxyLog.ControlPlaneUnavailable(logger, controlPlane, wait, e.Message);
                else ProxyLog.ControlPlaneMoving(logger, controlPlane, next, wait, e.Message);
            }
            await Task.Delay(ReconnectJitter.Spread(wait, Random.Shared), state.Time, cancellationToken).ConfigureAwait(false);
            if (wait == delay) delay = Next(delay);
        }
    }

    private async Task StreamOnceAsync(Uri controlPlane, CancellationToken cancellationToken)
    {
        using var client = CreateClient(presentCertificate: true);
        client.Timeout = Timeout.InfiniteTimeSpan;
        var running = state.Config?.Snapshot;
        var registration = new ProxyRegistration
        {
            Role = options.Role,
            Namespace = options.PodNamespace,
            Pod = options.PodName,
            Workload = options.Workload,
            ServiceAccount = options.ServiceAccount,
            PodIp = options.PodIp,
            // Where the control plane and Prometheus scrape: the metrics listener on the pod IP when there is one (the pod
            // network mode, where the admin listener is the pod's own localhost), else the admin listener.
            MetricsAddress = (options.MetricsAddress ?? options.AdminAddress)?.ToString(),
            Labels = options.Labels,
            Ports = [.. options.Inbound.Select(t => t.WorkloadPort)],
            CurrentVersion = running?.Version,
            Held = _held.For(running),
            Deltas = true,
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(controlPlane, ControlPlanePaths.Stream))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            Content = JsonContent.Create(registration, ProtocolJson.Default.ProxyRegistration),
        };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new HttpRequestException($"stream refused: {(int)response.StatusCode} {body.Trim()}", null, response.StatusCode);
        }
        _replicas.Succeeded();
        ProxyLog.ControlPlaneConnected(logger, controlPlane);
        // Built once per stream: every update is ACKed there, and a URI costs a parse each time it is made.
        var acks = new Uri(controlPlane, ControlPlanePaths.Acks);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        // Lines are read as UTF-8 bytes in pooled segments and deserialized from there: a snapshot of
        // 10,000 services is a 4.6 MB line, which as a string (UTF-16, grown in a StringBuilder) cost
        // four times that in transient heap and did not fit the sidecar's heap limit.
        var lines = StreamReading.Lines(stream, leaveOpen: true);
        try
        {
            while (true)
            {
                var read = await lines.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = read.Buffer;
                if (TryReadLine(ref buffer, out var line))
                {
                    var started = Stopwatch.GetTimestamp();
                    var length = line.Length;
                    var envelope = line.IsEmpty ? null : Read(line);
                    // The line's segments go back before the snapshot is indexed: the old config, the
                    // new snapshot and its lookups are what must fit in the heap then, not the JSON too.
                    lines.AdvanceTo(buffer.Start);
                    if (envelope is not null)
                    {
                        var (error, resync) = Apply(envelope, length, started);
                        await AckAsync(client, acks, envelope.Version, envelope.Nonce, error, resync, cancellationToken).ConfigureAwait(false);
                    }
                    continue;
                }
                if (buffer.Length > options.MaxSnapshotBytes)
                {
                    await RefuseOversizedAsync(client, acks, lines, buffer, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                lines.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted) break;
            }
        }
        finally
        {
            await lines.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>NACKs a line longer than <see cref="ProxyOptions.MaxSnapshotBytes"/> without reading it whole; the last good config stays.</summary>
    private async Task RefuseOversizedAsync(HttpClient client, Uri acks, PipeReader lines, ReadOnlySequence<byte> buffered, CancellationToken cancellationToken)
    {
        var (nonce, version) = OversizedSnapshotLine.ReadHead(buffered);
        var length = buffered.Length;
        lines.AdvanceTo(buffered.End);
        length += await OversizedSnapshotLine.SkipRestAsync(lines, cancellationToken).ConfigureAwait(false);
        var error = string.Create(CultureInfo.InvariantCulture,
            $"the snapshot line is {length} bytes, over this proxy's limit of {options.MaxSnapshotBytes} bytes ({ProxyEnvironment.MaxSnapshotBytes})");
        ProxyLog.SnapshotRejected(logger, version ?? "?", "control plane", error);
        if (nonce is not null) await AckAsync(client, acks, version ?? "", nonce, error, resync: false, cancellationToken).ConfigureAwait(false);
    }

    private static bool TryReadLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadTo(out line, (byte)'\n')) return false;
        buffer = buffer.Slice(reader.Position);
        return true;
    }

    /// <summary>Reads one snapshot line; null when it could not be read (nothing to ACK).</summary>
    private SnapshotUpdate? Read(ReadOnlySequence<byte> line)
    {
        try { return Deserialize(line); }
        catch (JsonException e)
        {
            ProxyLog.SnapshotRejected(logger, "?", "control plane", $"unreadable snapshot: {e.Message}");
            return null;
        }
        catch (OutOfMemoryException)
        {
            // Too large for this proxy's heap limit: keep serving the last good snapshot and say so,
            // rather than losing the control plane agent.
            ProxyLog.SnapshotRejected(logger, "?", "control plane", $"a snapshot of {line.Length} bytes does not fit in this proxy's heap ({GC.GetGCMemoryInfo().TotalAvailableMemoryBytes} bytes available to the GC)");
            return null;
        }
    }

    /// <summary>
    /// Applies a full snapshot or a delta read from a line of <paramref name="length"/> bytes; returns the
    /// NACK's error (null for an ACK) and whether to ask for a full snapshot (a delta that does not fit
    /// what this proxy runs). Either way a refused line leaves the last good config in place.
    /// </summary>
    private (string? Error, bool Resync) Apply(SnapshotUpdate update, long length, long started)
    {
        string? error = null;
        var resync = false;
        var snapshot = update.Snapshot;
        if (snapshot is null && update.Delta is { } delta)
        {
            snapshot = SnapshotDeltaApplier.Apply(state.Config?.Snapshot, delta, out error);
            resync = snapshot is null;
        }
        if (snapshot is null) error ??= "the line carries neither a snapshot nor a delta";
        else if (snapshot.Node.Role != options.Role)
            error = $"snapshot is for role {snapshot.Node.Role}, this proxy runs as {options.Role}";
        else
        {
            try { state.TryApply(snapshot, out error); }
            catch (OutOfMemoryException)
            {
                error = $"the snapshot's lookups do not fit in this proxy's heap ({GC.GetGCMemoryInfo().TotalAvailableMemoryBytes} bytes available to the GC)";
            }
        }
        // The size and the time (read, checked, lookups built) say what a large mesh costs a proxy.
        if (error is null) ProxyLog.SnapshotApplied(logger, update.Version, string.Create(CultureInfo.InvariantCulture,
            $"control plane{(update.Delta is null ? "" : " (delta)")}; {length} bytes, applied in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:F0} ms"));
        else ProxyLog.SnapshotRejected(logger, update.Version, "control plane", error);
        return (error, resync);
    }

    /// <summary>One JSON value, and nothing but white space after it (what Deserialize(string) accepted).</summary>
    private static SnapshotUpdate? Deserialize(ReadOnlySequence<byte> line)
    {
        var options = ProtocolJson.Default.Options;
        var reader = new Utf8JsonReader(line, new JsonReaderOptions
        {
            AllowTrailingCommas = options.AllowTrailingCommas,
            CommentHandling = options.ReadCommentHandling,
            MaxDepth = options.MaxDepth,
        });
        var envelope = JsonSerializer.Deserialize(ref reader, ProtocolJson.Default.SnapshotUpdate);
        if (reader.Read()) throw new JsonException($"unexpected content after the snapshot at byte {reader.TokenStartIndex}");
        return envelope;
    }

    /// <summary>ACKs to <paramref name="acks"/>, on the replica that holds this proxy's stream: that replica waits for it.</summary>
    private async Task AckAsync(HttpClient client, Uri acks, string version, string nonce, string? error, bool resync, CancellationToken cancellationToken)
    {
        var ack = new SnapshotAck { ProxyId = options.ProxyId, Version = version, Nonce = nonce, Error = SnapshotAck.BoundedError(error), Resync = resync };
        using var request = new HttpRequestMessage(HttpMethod.Post, acks)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            Content = JsonContent.Create(ack, ProtocolJson.Default.SnapshotAck),
        };
        try
        {
            using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            ProxyLog.ReloadFailed(logger, $"ack for {version}", e.Message);
        }
    }

    private static bool IsTransient(Exception e, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested && e is HttpRequestException or IOException or AuthenticationException or OperationCanceledException or InvalidOperationException or CryptographicException or JsonException;

    private static TimeSpan Next(TimeSpan delay) => delay * 2 > MaxBackoff ? MaxBackoff : delay * 2;
}
