using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Meshwork.Identity;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;

/// <summary>
/// A proxy's control-plane client: one HTTP/2 connection, reads snapshots, ACKs each one. Its TLS is
/// the sidecar's (ControlPlaneAgent): a certificate context built once, the control plane's root
/// pinned through a custom-root chain policy, a 10 s connect timeout.
/// </summary>
internal sealed class SimulatedProxy(Uri address, SslStreamCertificateContext credential, TrustBundle trust, ProxyRegistration registration) : IAsyncDisposable
{
    /// <summary>Whether a reconnect sends the parts the proxy holds (as the sidecar does), or only the version it runs.</summary>
    public bool SendHeld { get; set; } = true;

    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        ConnectTimeout = TimeSpan.FromSeconds(10),
        SslOptions = ClientTls(credential, trust),
    })
    {
        BaseAddress = address,
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private static SslClientAuthenticationOptions ClientTls(SslStreamCertificateContext credential, TrustBundle trust)
    {
        var options = new SslClientAuthenticationOptions
        {
            ClientCertificateContext = credential,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
                DisableCertificateDownloads = true,
            },
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                certificate is not null && (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None,
        };
        options.CertificateChainPolicy.CustomTrustStore.AddRange(trust.Roots.ToArray());
        return options;
    }
    private readonly CancellationTokenSource _stop = new();
    // As the sidecar's agent: the ACK address is made once, not parsed again for every ACK.
    private readonly Uri _acks = new(address, ControlPlanePaths.Acks);
    private readonly object _gate = new();
    private readonly List<(string Version, TaskCompletionSource<long> Done)> _waiters = [];
    private Task? _reader;
    private ProxySnapshot? _running;
    private long _bytes;

    public string? AckedVersion { get; private set; }
    /// <summary>Bytes of snapshot lines read so far (full snapshots and deltas).</summary>
    public long BytesReceived => Interlocked.Read(ref _bytes);

    public async Task ConnectAsync()
    {
        var first = WaitForNewAckAsync(null);
        if (await OpenAsync(registration) is var outcome && outcome != Attempt.Admitted) throw new HttpRequestException($"stream refused: {outcome}");
        await first;
    }

    /// <summary>
    /// Reconnects as the sidecar does after its control plane restarted: after a wait spread between half
    /// a second and a second (the sidecar's jittered backoff), with the version it runs; a refused stream
    /// is retried after a backoff that doubles, jittered the same way. Completes once the proxy runs what
    /// the control plane would send it, with the Stopwatch timestamp of its ACK; every attempt is recorded
    /// in <see cref="Attempts"/>, with how it ended.
    /// </summary>
    public async Task<long> ReconnectAsync()
    {
        if (_reader is not null) { try { await _reader; } catch (HttpRequestException) { } catch (IOException) { } }
        var current = AckedVersion;
        HeldSnapshot? held = null;
        var next = WaitForNewAckAsync(current);
        var backoff = TimeSpan.FromSeconds(1);
        while (true)
        {
            // Equal jitter, as the sidecar's ReconnectJitter: between half the backoff and all of it.
            await Task.Delay(backoff / 2 + backoff / 2 * Random.Shared.NextDouble(), _stop.Token);
            // As the sidecar's HeldSnapshotCache: the part hashes of what runs, once, on this proxy's own time
            // (a thread-pool thread after its wait, as a sidecar in its own process), not one proxy after another.
            if (SendHeld && held is null && _running is { } running) held = SnapshotPartHashes.Held(running);
            var started = Stopwatch.GetTimestamp();
            var outcome = await OpenAsync(registration with { CurrentVersion = current, Held = held });
            Attempts.Add(new Attempt(started, Stopwatch.GetTimestamp(), outcome));
            if (outcome == Attempt.Admitted) break;
            backoff = backoff * 2 > TimeSpan.FromSeconds(30) ? TimeSpan.FromSeconds(30) : backoff * 2;
        }
        return await next;
    }

    /// <summary>Every stream this proxy opened or tried to open, in order.</summary>
    public List<Attempt> Attempts { get; } = [];

    /// <summary>Bytes of snapshot lines read on the last stream opened.</summary>
    public long LastStreamBytes => Interlocked.Read(ref _streamBytes);
    private long _streamBytes;

    /// <summary>Stopwatch timestamp of the first line read on the last stream opened (0 before).</summary>
    public long FirstLineAt => Interlocked.Read(ref _firstLineAt);
    private long _firstLineAt;

    /// <summary>Opens a stream; returns <see cref="Attempt.Admitted"/>, the HTTP status that refused it, or why no response came.</summary>
    private async Task<string> OpenAsync(ProxyRegistration body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, ControlPlanePaths.Stream)
        {
            Content = JsonContent.Create(body, ProtocolJson.Default.ProxyRegistration),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        HttpResponseMessage response;
        try { response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, _stop.Token); }
        catch (HttpRequestException e) { return $"no response ({e.HttpRequestError})"; }
        catch (TaskCanceledException e) when (e.InnerException is TimeoutException) { return "no response (connect timeout)"; }
        if (!response.IsSuccessStatusCode)
        {
            response.Dispose();
            return $"HTTP {(int)response.StatusCode}";
        }
        Interlocked.Exchange(ref _firstLineAt, 0);
        Interlocked.Exchange(ref _streamBytes, 0);
        _reader = ReadAsync(response);
        return Attempt.Admitted;
    }

    /// <summary>Completes with the Stopwatch timestamp at which a version other than <paramref name="current"/> was ACKed.</summary>
    public Task<long> WaitForNewAckAsync(string? current)
    {
        var done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate) _waiters.Add((current ?? "", done));
        return done.Task;
    }

    private async Task ReadAsync(HttpResponseMessage response)
    {
        using (response)
        {
            // As the sidecar reads them: UTF-8 lines in pooled segments, deserialized from there.
            var lines = StreamReading.Lines(await response.Content.ReadAsStreamAsync(_stop.Token), leaveOpen: false);
            try
            {
                while (true)
                {
                    var read = await lines.ReadAsync(_stop.Token);
                    var buffer = read.Buffer;
                    if (!TryReadLine(ref buffer, out var line))
                    {
                        lines.AdvanceTo(buffer.Start, buffer.End);
                        if (read.IsCompleted) return;
                        continue;
                    }
                    var length = line.Length;
                    var update = length == 0 ? null : Deserialize(line);
                    lines.AdvanceTo(buffer.Start);
                    if (update is not null) await ApplyAsync(update, length);
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                // The control plane went away (a restart): ReconnectAsync opens the next stream.
            }
            finally
            {
                await lines.CompleteAsync();
            }
        }
    }

    private async Task ApplyAsync(SnapshotUpdate update, long length)
    {
        Interlocked.CompareExchange(ref _firstLineAt, Stopwatch.GetTimestamp(), 0);
        Interlocked.Add(ref _bytes, length);
        Interlocked.Add(ref _streamBytes, length);
        // Apply as the sidecar does: a delta goes on top of what runs, or the proxy asks for a resync.
        string? error = null;
        var next = update.Snapshot ?? SnapshotDeltaApplier.Apply(_running, update.Delta!, out error);
        if (next is not null) _running = next;
        var ack = new SnapshotAck { ProxyId = registration.Pod + "." + registration.Namespace, Version = update.Version, Nonce = update.Nonce, Error = error, Resync = next is null };
        using (var acked = await _http.PostAsJsonAsync(_acks, ack, ProtocolJson.Default.SnapshotAck, _stop.Token))
        {
            acked.EnsureSuccessStatusCode();
        }
        if (next is null) return;
        var at = Stopwatch.GetTimestamp();
        AckedVersion = next.Version;
        lock (_gate)
        {
            foreach (var waiter in _waiters.Where(w => w.Version != next.Version).ToList())
            {
                waiter.Done.TrySetResult(at);
                _waiters.Remove(waiter);
            }
        }
    }

    private static bool TryReadLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadTo(out line, (byte)'\n')) return false;
        buffer = buffer.Slice(reader.Position);
        return true;
    }

    private static SnapshotUpdate Deserialize(ReadOnlySequence<byte> line)
    {
        var reader = new Utf8JsonReader(line);
        return JsonSerializer.Deserialize(ref reader, ProtocolJson.Default.SnapshotUpdate)!;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_reader is not null)
        {
            try { await _reader; } catch (HttpRequestException) { } catch (IOException) { }
        }
        _http.Dispose();
        _stop.Dispose();
    }
}

/// <summary>One stream opened or refused: Stopwatch timestamps of the request and its answer, and how it ended.</summary>
internal sealed record Attempt(long Started, long Ended, string Outcome)
{
    public const string Admitted = "admitted";
}
